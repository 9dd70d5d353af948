"""Opaque C handles: freed exactly once, never used after close."""

import ctypes
import threading

from .errors import ClosedError


class Handle:
    """An opaque C pointer freed exactly once; use after close raises.

    Calls run inside use(); close() waits for calls in progress on other
    threads, so the pointer is never freed under a running C call.
    """

    _free = None  # set by subclasses

    def __init__(self, ptr):
        self._ptr = ptr
        self._cond = threading.Condition(threading.Lock())
        self._busy = 0
        self._closing = False

    def _acquire(self):
        with self._cond:
            if self._closing:
                raise ClosedError("%s is closed" % type(self).__name__)
            self._busy += 1
            return self._ptr

    def _release(self):
        with self._cond:
            self._busy -= 1
            if self._busy == 0:
                self._cond.notify_all()

    def close(self):
        """Wipe and free the C object. Safe to call more than once."""
        cond = getattr(self, "_cond", None)
        if cond is None:   # __init__ never ran to completion
            return
        with cond:
            self._closing = True   # refuse new calls while draining
            while self._busy:
                cond.wait()
            ptr, self._ptr = self._ptr, None
        if ptr is not None:
            type(self)._free(ptr)

    @property
    def closed(self):
        return getattr(self, "_closing", True)

    def _use(self):
        return _Use(self)

    def __enter__(self):
        if self.closed:
            raise ClosedError("%s is closed" % type(self).__name__)
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown: never raise from __del__
            pass


class _Use:
    """``with handle._use() as ptr:`` for one C call."""

    __slots__ = ("h",)

    def __init__(self, h):
        self.h = h

    def __enter__(self):
        return self.h._acquire()

    def __exit__(self, *exc):
        self.h._release()


def new_ptr(fn, *args):
    out = ctypes.c_void_p()
    rc = fn(ctypes.byref(out), *args)
    return rc, out


def text_arg(s, what):
    """str (UTF-8) or bytes-like as bytes, for a C string argument."""
    if isinstance(s, str):
        return s.encode("utf-8")
    if isinstance(s, (bytes, bytearray, memoryview)):
        return bytes(s)
    raise TypeError("%s must be str or bytes, not %s"
                    % (what, type(s).__name__))
