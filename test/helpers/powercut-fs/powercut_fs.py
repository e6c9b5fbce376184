#!/usr/bin/env python3
"""
powercut_fs: a FUSE file system that forgets, at a power cut, every write that was not
made durable (the idea of LazyFS), so that a test can show a missing fsync, which
SIGKILL cannot: a killed process leaves its writes in the page cache.

Usage: powercut_fs.py STATE_DIR MOUNTPOINT

  STATE_DIR/tree  the durable state, as a plain directory tree (created empty if absent).
                  At mount it is what the file system shows: a mount is a boot.
  STATE_DIR/work  scratch space while mounted (volatile and durable copies of the files).
                  While mounted, tree/ is not meaningful (its files are linked into work/).

Power cut: unmount (`fusermount -u MOUNTPOINT`, or SIGTERM/SIGINT to this process; the
processes using the mount must be gone first, e.g. killed with SIGKILL). On unmount the
durable state, and nothing else, is written back as STATE_DIR/tree; mounting again shows
exactly what survived the cut. Unmounting also empties the kernel's caches of the mount,
as a reboot does, so nothing volatile can come back through them.

What is durable (ext4's strict reading of POSIX, as LazyFS; stricter than ext4 in practice):
  - File data and size: only what an fsync or fdatasync of that file covered. Writes and
    truncations after the last sync are lost (fdatasync counts as fsync: the size is data).
  - Directory entries: a create, mkdir, rename, link, unlink or rmdir in a directory is
    durable only once that directory is fsynced; the fsync records all of its entries as
    they are then. A file's own fsync does NOT make its name durable, so a new file whose
    directory was never fsynced is gone after a cut, and an unsynced rename is undone. A
    rename between two directories needs both fsyncs (with one, the file may be in both or
    in neither, as on a real disk). A new directory's entries are durable once it is
    fsynced, and reachable once its own entry in its parent is.
  - A name that is durable while its file's data never was synced is an empty file.
  - Modes and times are kept, not tracked (nothing here depends on them).
There is no partial loss within a sync: a cut keeps all of a sync or (if it did not return)
none of it, and torn writes are not simulated. Everything works on inodes, so an open file
that was unlinked or renamed keeps working, and its durable content follows its durable names.

SQLite in WAL mode works on it: its -shm file is mmapped (FUSE allows shared writable
maps when direct_io is off, as here); it is never fsynced, so it is volatile and SQLite
rebuilds it after a cut. POSIX (fcntl) and flock locks are not implemented here, so the
kernel keeps them locally for the mount, which is right for processes on one machine.

Needs python3-fusepy (import name fusepy) and libfuse2; runs single-threaded (-s), so no
operation races another. Prints "mounted" on stdout once the mount is usable.
"""
import ctypes
import errno
import os
import shutil
import signal
import stat
import sys
import time

from fusepy import FUSE, FuseOSError


class Node:
    """A file or directory (an inode). Files keep their data in two host files: the
    volatile copy (what reads see) and the durable copy (what survives a cut)."""

    def __init__(self, ident, is_dir, mode):
        self.id = ident
        self.is_dir = is_dir
        self.mode = mode
        self.mtime = time.time()
        self.entries = {}  # directory: name -> Node, as seen now
        self.durable_entries = {}  # directory: name -> Node, as of its last fsync
        self.vfd = None  # file: descriptor of the volatile copy; None while it equals the durable one
        self.rfd = None  # file: read-only descriptor of the durable copy, for reads while vfd is None
        self.dirty = []  # file: [start, end) ranges written since the last sync
        self.cut_to = None  # file: the smallest size a truncate left since the last sync
        self.opens = 0  # open handles (files and directories)
        self.vrefs = 0  # names in directories' current entries
        self.drefs = 0  # names in directories' durable entries


class PowerCutFS:
    # Operations on open handles get no path (an unlinked file has none): handles are used.
    flag_nullpath_ok = True
    flag_nopath = True
    use_ns = False

    def __init__(self, state_dir):
        self.tree = os.path.join(state_dir, 'tree')
        self.work = os.path.join(state_dir, 'work')
        shutil.rmtree(self.work, ignore_errors=True)
        os.makedirs(os.path.join(self.work, 'v'))
        os.makedirs(os.path.join(self.work, 'd'))
        os.makedirs(self.tree, exist_ok=True)
        self.next_id = 2
        self.handles = {}
        self.next_fh = 1
        self.root = Node(1, True, stat.S_IFDIR | 0o755)
        self.root.vrefs = self.root.drefs = 1  # never collected
        self._load(self.tree, self.root, {})

    def __call__(self, op, *args):
        fn = getattr(self, op, None)
        if fn is None:
            raise FuseOSError(errno.ENOSYS)
        return fn(*args)

    # ---- host files behind a node ----

    def _vpath(self, node):
        return os.path.join(self.work, 'v', str(node.id))

    def _dpath(self, node):
        return os.path.join(self.work, 'd', str(node.id))

    def _new_node(self, is_dir, mode):
        node = Node(self.next_id, is_dir, mode)
        self.next_id += 1
        return node

    def _load(self, host_dir, dir_node, seen):
        """Mount = boot: everything in the tree is durable."""
        for name in sorted(os.listdir(host_dir)):
            p = os.path.join(host_dir, name)
            st = os.lstat(p)
            if stat.S_ISDIR(st.st_mode):
                child = self._new_node(True, st.st_mode)
                self._load(p, child, seen)
            elif st.st_ino in seen:
                child = seen[st.st_ino]
            else:
                child = self._new_node(False, st.st_mode)
                os.link(p, self._dpath(child))
                seen[st.st_ino] = child
            dir_node.entries[name] = child
            dir_node.durable_entries[name] = child
            child.vrefs += 1
            child.drefs += 1

    def _volatile_fd(self, node):
        """The writable volatile copy, made from the durable one on the first change."""
        if node.vfd is None:
            d = self._dpath(node)
            if os.path.exists(d):
                shutil.copyfile(d, self._vpath(node))
            node.vfd = os.open(self._vpath(node), os.O_RDWR | os.O_CREAT, 0o600)
        return node.vfd

    def _read_fd(self, node):
        if node.vfd is not None:
            return node.vfd
        if node.rfd is None:
            d = self._dpath(node)
            if not os.path.exists(d):
                return self._volatile_fd(node)
            node.rfd = os.open(d, os.O_RDONLY)
        return node.rfd

    def _size(self, node):
        return os.fstat(self._read_fd(node)).st_size

    def _collect(self, node):
        """Frees a node that no name (current or durable) and no handle refers to."""
        if node.vrefs > 0 or node.drefs > 0 or node.opens > 0:
            return
        if node.is_dir:
            for child in node.durable_entries.values():
                child.drefs -= 1
                self._collect(child)
            node.durable_entries = {}
            return
        for fd in (node.vfd, node.rfd):
            if fd is not None:
                os.close(fd)
        node.vfd = node.rfd = None
        for p in (self._vpath(node), self._dpath(node)):
            try:
                os.unlink(p)
            except FileNotFoundError:
                pass

    # ---- durability ----

    def _sync_file(self, node):
        if node.is_dir:
            return self._sync_dir(node)
        if node.vfd is None or (not node.dirty and node.cut_to is None and os.path.exists(self._dpath(node))):
            return
        size = os.fstat(node.vfd).st_size
        dfd = os.open(self._dpath(node), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if node.cut_to is not None:
                os.ftruncate(dfd, node.cut_to)
            for start, end in node.dirty:
                end = min(end, size)
                while start < end:
                    chunk = os.pread(node.vfd, min(end - start, 1 << 20), start)
                    if not chunk:
                        break
                    os.pwrite(dfd, chunk, start)
                    start += len(chunk)
            os.ftruncate(dfd, size)
        finally:
            os.close(dfd)
        node.dirty = []
        node.cut_to = None

    def _sync_dir(self, node):
        """The directory's entries, all of them as they are now, become durable."""
        old = node.durable_entries
        node.durable_entries = dict(node.entries)
        for child in node.durable_entries.values():
            child.drefs += 1
        for child in old.values():
            child.drefs -= 1
            self._collect(child)

    @staticmethod
    def _mark_dirty(node, start, end):
        ranges = node.dirty
        # Appends and rewrites of the last range are the common case: extend it in place.
        if ranges and ranges[-1][0] <= start <= ranges[-1][1]:
            ranges[-1][1] = max(ranges[-1][1], end)
            return
        ranges.append([start, end])
        if len(ranges) > 64:
            ranges.sort()
            merged = [ranges[0]]
            for s, e in ranges[1:]:
                if s <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], e)
                else:
                    merged.append([s, e])
            node.dirty = merged

    def _write_back(self):
        """At unmount: the durable state becomes the tree the next mount starts from."""
        new_tree = self.tree + '.new'
        shutil.rmtree(new_tree, ignore_errors=True)
        os.mkdir(new_tree)
        placed = {}

        def place(dir_node, host_dir):
            for name, child in dir_node.durable_entries.items():
                p = os.path.join(host_dir, name)
                if child.is_dir:
                    os.mkdir(p)
                    place(child, p)
                elif child.id in placed:
                    os.link(placed[child.id], p)
                elif os.path.exists(self._dpath(child)):
                    os.link(self._dpath(child), p)
                else:
                    open(p, 'wb').close()  # a durable name, data never synced
                os.chmod(p, stat.S_IMODE(child.mode))
                placed.setdefault(child.id, p)

        place(self.root, new_tree)
        shutil.rmtree(self.tree)
        os.rename(new_tree, self.tree)
        shutil.rmtree(self.work, ignore_errors=True)

    # ---- paths ----

    def _lookup(self, path):
        node = self.root
        for part in path.split('/'):
            if not part:
                continue
            if not node.is_dir:
                raise FuseOSError(errno.ENOTDIR)
            node = node.entries.get(part)
            if node is None:
                raise FuseOSError(errno.ENOENT)
        return node

    def _parent(self, path):
        head, name = os.path.split(path.rstrip('/'))
        parent = self._lookup(head)
        if not parent.is_dir:
            raise FuseOSError(errno.ENOTDIR)
        return parent, name

    def _node(self, path, fh):
        if fh is not None and fh in self.handles:
            return self.handles[fh]
        if path is None:
            raise FuseOSError(errno.EBADF)
        return self._lookup(path)

    def _open_handle(self, node):
        fh = self.next_fh
        self.next_fh += 1
        self.handles[fh] = node
        node.opens += 1
        return fh

    def _close_handle(self, fh):
        node = self.handles.pop(fh, None)
        if node is not None:
            node.opens -= 1
            self._collect(node)

    def _link_name(self, parent, name, node):
        old = parent.entries.get(name)
        parent.entries[name] = node
        node.vrefs += 1
        if old is not None:
            old.vrefs -= 1
            self._collect(old)

    def _unlink_name(self, parent, name):
        node = parent.entries.pop(name)
        node.vrefs -= 1
        self._collect(node)

    # ---- FUSE operations ----

    def init(self, path):
        print('mounted', flush=True)

    def destroy(self, path):
        self._write_back()

    def getattr(self, path, fh=None):
        node = self._node(path, fh)
        now = node.mtime
        if node.is_dir:
            size, nlink = 4096, 2
        else:
            size, nlink = self._size(node), node.vrefs
        return {
            'st_mode': node.mode, 'st_ino': node.id, 'st_nlink': nlink, 'st_size': size,
            'st_uid': os.getuid(), 'st_gid': os.getgid(), 'st_blksize': 4096, 'st_blocks': (size + 511) // 512,
            'st_atime': now, 'st_mtime': now, 'st_ctime': now,
        }

    def statfs(self, path):
        s = os.statvfs(self.work)
        keys = ('f_bsize', 'f_frsize', 'f_blocks', 'f_bfree', 'f_bavail', 'f_files', 'f_ffree', 'f_favail', 'f_namemax')
        return {k: getattr(s, k) for k in keys}

    def access(self, path, amode):
        self._lookup(path)
        return 0

    def opendir(self, path):
        node = self._lookup(path)
        if not node.is_dir:
            raise FuseOSError(errno.ENOTDIR)
        return self._open_handle(node)

    def releasedir(self, path, fh):
        self._close_handle(fh)

    def readdir(self, path, fh):
        node = self._node(path, fh)
        return ['.', '..'] + list(node.entries.keys())

    def fsyncdir(self, path, datasync, fh):
        self._sync_dir(self._node(path, fh))

    def mkdir(self, path, mode):
        parent, name = self._parent(path)
        if name in parent.entries:
            raise FuseOSError(errno.EEXIST)
        self._link_name(parent, name, self._new_node(True, stat.S_IFDIR | (mode & 0o7777)))

    def rmdir(self, path):
        parent, name = self._parent(path)
        node = parent.entries.get(name)
        if node is None:
            raise FuseOSError(errno.ENOENT)
        if not node.is_dir:
            raise FuseOSError(errno.ENOTDIR)
        if node.entries:
            raise FuseOSError(errno.ENOTEMPTY)
        self._unlink_name(parent, name)

    def create(self, path, mode, fi=None):
        parent, name = self._parent(path)
        node = parent.entries.get(name)
        if node is None:
            node = self._new_node(False, stat.S_IFREG | (mode & 0o7777))
            self._volatile_fd(node)
            self._link_name(parent, name, node)
        elif node.is_dir:
            raise FuseOSError(errno.EISDIR)
        return self._open_handle(node)

    def open(self, path, flags):
        node = self._lookup(path)
        if node.is_dir:
            raise FuseOSError(errno.EISDIR)
        return self._open_handle(node)

    def release(self, path, fh):
        self._close_handle(fh)

    def flush(self, path, fh):
        return 0

    def read(self, path, size, offset, fh):
        return os.pread(self._read_fd(self._node(path, fh)), size, offset)

    def write(self, path, data, offset, fh):
        node = self._node(path, fh)
        n = os.pwrite(self._volatile_fd(node), data, offset)
        self._mark_dirty(node, offset, offset + n)
        return n

    def truncate(self, path, length, fh=None):
        node = self._node(path, fh)
        if node.is_dir:
            raise FuseOSError(errno.EISDIR)
        fd = self._volatile_fd(node)
        if length < os.fstat(fd).st_size:
            node.cut_to = length if node.cut_to is None else min(node.cut_to, length)
        os.ftruncate(fd, length)
        node.mtime = time.time()

    def fsync(self, path, datasync, fh):
        self._sync_file(self._node(path, fh))

    def unlink(self, path):
        parent, name = self._parent(path)
        node = parent.entries.get(name)
        if node is None:
            raise FuseOSError(errno.ENOENT)
        if node.is_dir:
            raise FuseOSError(errno.EISDIR)
        self._unlink_name(parent, name)

    def rename(self, old, new):
        old_parent, old_name = self._parent(old)
        new_parent, new_name = self._parent(new)
        node = old_parent.entries.get(old_name)
        if node is None:
            raise FuseOSError(errno.ENOENT)
        target = new_parent.entries.get(new_name)
        if target is node:
            return
        if target is not None and target.is_dir:
            if not node.is_dir:
                raise FuseOSError(errno.EISDIR)
            if target.entries:
                raise FuseOSError(errno.ENOTEMPTY)
        elif target is not None and node.is_dir:
            raise FuseOSError(errno.ENOTDIR)
        node.vrefs += 1  # held while it moves, so it is not collected in between
        self._unlink_name(old_parent, old_name)
        self._link_name(new_parent, new_name, node)
        node.vrefs -= 1

    def link(self, target, source):
        # fusepy's argument order: `target` is the new name, `source` the existing file.
        node = self._lookup(source)
        if node.is_dir:
            raise FuseOSError(errno.EPERM)
        parent, name = self._parent(target)
        if name in parent.entries:
            raise FuseOSError(errno.EEXIST)
        self._link_name(parent, name, node)

    def chmod(self, path, mode):
        node = self._lookup(path)
        node.mode = stat.S_IFMT(node.mode) | stat.S_IMODE(mode)

    def chown(self, path, uid, gid):
        return 0

    def utimens(self, path, times=None):
        self._lookup(path).mtime = times[1] if times else time.time()


def die_with_parent():
    """SIGTERM (unmount, write back) when the process that started us dies: no stale mount."""
    try:
        ctypes.CDLL('libc.so.6', use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    state_dir, mountpoint = sys.argv[1], sys.argv[2]
    die_with_parent()
    fs = PowerCutFS(state_dir)
    FUSE(fs, mountpoint, foreground=True, nothreads=True, fsname='powercutfs',
         hard_remove=True, use_ino=True, big_writes=True, max_write=131072, max_read=131072)


if __name__ == '__main__':
    main()
