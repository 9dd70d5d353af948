"""Sealing sessions never continue in a child of fork(): a Context created
in the parent and used by a multiprocessing Pool (start method 'fork')
gives every worker its own session id, so no (key id, session id, seq)
triple is ever sealed twice (a repeated triple reuses an XChaCha20 nonce
and makes receivers refuse one copy as a replay)."""

import multiprocessing
import os
import threading
import unittest

import support  # noqa: F401 (sys.path)
import mqttseal
import mqttseal.context

TOPIC = "site/a/temp"
WORKERS = 8
TASKS = 32          # several tasks per worker: sessions go on across tasks
PER_TASK = 10
PARENT = 5

CTX = None          # the parent's Context, inherited by the workers


def _seal_task(i):
    return os.getpid(), [CTX.seal(TOPIC, b"%d-%d" % (i, k))
                         for k in range(PER_TASK)]


def _triple(env):
    h = mqttseal.parse_header(env)
    return h.key_id, h.session_id, h.seq


class PoolTest(unittest.TestCase):
    def setUp(self):
        global CTX
        self.kr = mqttseal.Keyring().generate(7)
        CTX = mqttseal.Context(self.kr, timestamps=True)
        self.addCleanup(self.kr.close)
        self.addCleanup(CTX.close)
        self.addCleanup(setattr, mqttseal.context, "_renew_after_fork",
                        getattr(mqttseal.context, "_renew_after_fork", True))

    def run_pool(self):
        before = [CTX.seal(TOPIC, b"p%d" % k) for k in range(PARENT)]
        parent_sid = CTX.session_id
        fork = multiprocessing.get_context("fork")
        with fork.Pool(WORKERS) as pool:
            results = pool.map(_seal_task, range(TASKS), chunksize=1)
        after = [CTX.seal(TOPIC, b"q%d" % k) for k in range(PARENT)]
        self.assertEqual(CTX.session_id, parent_sid)
        child = [e for _, envs in results for e in envs]
        pids = {pid for pid, _ in results}
        self.assertGreater(len(pids), 1, "the pool used one worker only")
        return parent_sid, before + after, child, pids

    def check_distinct(self, parent_sid, parent, child, pids):
        triples = [_triple(e) for e in parent + child]
        child_sids = {_triple(e)[1] for e in child}
        distinct = len(set(triples))
        msg = ("%d distinct (key id, session id, seq) triples out of %d; "
               "%d child session ids for %d worker processes; parent's "
               "session id reused in a child: %s"
               % (distinct, len(triples), len(child_sids), len(pids),
                  parent_sid in child_sids))
        self.assertEqual(distinct, len(triples), msg)
        self.assertNotIn(parent_sid, child_sids, msg)
        self.assertEqual(len(child_sids), len(pids), msg)
        # Every envelope opens exactly once at one receiver.
        with mqttseal.Context(self.kr) as rx:
            for e in parent + child:
                rx.open(TOPIC, e)

    def test_pool_workers_seal_in_their_own_sessions(self):
        self.check_distinct(*self.run_pool())

    def test_c_library_alone(self):
        """Without the binding's at-fork hook the C library still draws a
        new session in each child (MADV_WIPEONFORK + pthread_atfork)."""
        mqttseal.context._renew_after_fork = False
        self.check_distinct(*self.run_pool())


class _Busy(threading.Thread):
    """Holds a Context busy (as a C call in progress would) until told."""

    def __init__(self, ctx):
        super().__init__(daemon=True)
        self.ctx, self.inside, self.done = ctx, threading.Event(), \
            threading.Event()

    def run(self):
        with self.ctx._use():
            self.inside.set()
            self.done.wait(30)


def _child_seal_and_close(conn):
    try:
        env = CTX.seal(TOPIC, b"child")
        CTX.close()
        conn.send(env)
    except BaseException as e:
        conn.send(repr(e))


class ForkWhileBusyTest(unittest.TestCase):
    def test_child_not_blocked_by_parent_threads(self):
        """A thread of the parent inside a call at fork time does not exist
        in the child: the child's close() must not wait for it."""
        global CTX
        with mqttseal.Keyring().generate(1) as kr:
            CTX = mqttseal.Context(kr)
        busy = _Busy(CTX)
        busy.start()
        self.assertTrue(busy.inside.wait(10))
        fork = multiprocessing.get_context("fork")
        a, b = fork.Pipe()
        p = fork.Process(target=_child_seal_and_close, args=(b,))
        p.start()
        try:
            self.assertTrue(a.poll(20), "child blocked")
            env = a.recv()
        finally:
            busy.done.set()
            p.join(20)
            if p.is_alive():
                p.kill()
            busy.join(10)
        self.assertIsInstance(env, bytes, env)
        self.assertNotEqual(mqttseal.parse_header(env).session_id,
                            CTX.session_id)
        CTX.close()


class NewSessionTest(unittest.TestCase):
    def test_new_session(self):
        with mqttseal.Keyring().generate(1) as kr, \
                mqttseal.Context(kr) as ctx:
            first = [_triple(ctx.seal(TOPIC, b"")) for _ in range(3)]
            sid = ctx.session_id
            ctx.new_session()
            self.assertNotEqual(ctx.session_id, sid)
            h = mqttseal.parse_header(ctx.seal(TOPIC, b""))
            self.assertEqual((h.session_id, h.seq), (ctx.session_id, 0))
            self.assertEqual([t[2] for t in first], [0, 1, 2])
            self.assertEqual(ctx.stats().sessions_new, 1)


if __name__ == "__main__":
    unittest.main()
