"""Getting a system tool (chromium, nft) for the tests that need one.

The test setup installs Debian packages itself when it can (CI runs as root on a fresh
machine), so nothing depends on what someone installed by hand; where it cannot, the
caller skips with the reason this returns.
"""

from __future__ import annotations

import os
import shutil
import subprocess

_updated = False


def ensure_debian_package(binary: str, package: str) -> tuple[str | None, str]:
    """Path of ``binary``, installing Debian's ``package`` if needed; else (None, why)."""
    global _updated
    found = shutil.which(binary) or (
        f"/usr/sbin/{binary}" if os.path.exists(f"/usr/sbin/{binary}") else None
    )
    if found:
        return found, ""
    if shutil.which("apt-get") is None:
        return None, f"{binary} is not installed and apt-get is not available"
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        return None, f"{binary} is not installed and installing {package} needs root"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    try:
        if not _updated:
            subprocess.run(
                ["apt-get", "update", "-qq"], env=env, check=True, capture_output=True, timeout=600
            )
            _updated = True
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", package],
            env=env,
            check=True,
            capture_output=True,
            timeout=900,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        return None, f"could not install {package}: {exc}"
    found = shutil.which(binary) or (
        f"/usr/sbin/{binary}" if os.path.exists(f"/usr/sbin/{binary}") else None
    )
    return (found, "") if found else (None, f"{package} installed but {binary} not found")
