"""Stub of conan.tools.files: copy and rmdir, doing the file work for real."""
import fnmatch
import os
import shutil


def copy(conanfile, pattern, src, dst, keep_path=True, excludes=None):
    conanfile.calls.append(("copy", pattern))
    copied = []
    src = os.path.abspath(src)
    for root, _dirs, files in os.walk(src):
        for name in files:
            path = os.path.join(root, name)
            relative = os.path.relpath(path, src)
            # Conan matches the pattern against the path relative to src ("*" crosses "/").
            if not fnmatch.fnmatch(relative, pattern):
                continue
            if excludes and any(fnmatch.fnmatch(relative, e) for e in excludes):
                continue
            target = os.path.join(dst, relative if keep_path else name)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copy2(path, target)
            copied.append(target)
    return copied


def rmdir(conanfile, path):
    conanfile.calls.append(("rmdir", path))
    shutil.rmtree(path, ignore_errors=True)
