"""Context and keyring behaviour: round trips, options, lifetimes, threads,
replay state across restarts, library lookup."""

import gc
import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import support
import mqttseal
from mqttseal import sizes

TOPIC = "site/a/temp"


class Issue11OptionsTest(unittest.TestCase):
    def test_fleet_option_and_stats(self):
        with mqttseal.Keyring().generate(1) as kr, \
                mqttseal.Context(kr, fleet=True) as tx, \
                mqttseal.Context(kr, fleet=True, max_age_ms=60000,
                                 replay_capacity=4096, max_levels=8) as rx:
            env = tx.seal(TOPIC, b"x", retained=True)
            self.assertIsNotNone(mqttseal.parse_header(env).timestamp_ms)
            h = rx.open_with_header(TOPIC, env)[1]
            self.assertTrue(h.sealed_retained)
            with self.assertRaises(mqttseal.ReplayError):
                rx.open(TOPIC, env)
            st = rx.stats()
            self.assertEqual((st.opened, st.refused, st.refused_by),
                             (1, 1, {mqttseal.ReplayError.code: 1}))
            self.assertEqual(tx.stats().sealed, 1)
            self.assertGreater(st.replay_bytes, 0)
            with self.assertRaises(mqttseal.InvalidArgumentError):
                rx.set_replay_capacity(1)   # below max_sessions
            self.assertGreater(sizes.replay_remembered_bytes(), 0)


class LifetimeTest(unittest.TestCase):
    def test_double_close_is_safe(self):
        kr = mqttseal.Keyring().generate(1)
        ctx = mqttseal.Context(kr)
        ctx.close()
        ctx.close()
        kr.close()
        kr.close()
        self.assertTrue(ctx.closed)
        self.assertTrue(kr.closed)

    def test_use_after_close_raises(self):
        kr = mqttseal.Keyring().generate(1)
        ctx = mqttseal.Context(kr)
        env = ctx.seal(TOPIC, b"x")
        ctx.close()
        for call in (lambda: ctx.seal(TOPIC, b"x"),
                     lambda: ctx.open(TOPIC, env),
                     lambda: ctx.set_replay(False),
                     lambda: ctx.set_timestamps(True),
                     lambda: ctx.set_freshness(0),
                     lambda: ctx.save_replay("/nonexistent"),
                     lambda: ctx.session_id,
                     lambda: ctx.__enter__()):
            with self.assertRaises(mqttseal.ClosedError):
                call()
        self.assertTrue(issubclass(mqttseal.ClosedError, ValueError))
        kr.close()
        with self.assertRaises(mqttseal.ClosedError):
            kr.generate(2)
        with self.assertRaises(mqttseal.ClosedError):
            len(kr)
        with self.assertRaises(mqttseal.ClosedError):
            mqttseal.Context(kr)
        self.assertIn("closed", repr(ctx))
        self.assertIn("closed", repr(kr))

    def test_context_manager_closes(self):
        with mqttseal.Keyring().generate(1) as kr:
            with mqttseal.Context(kr) as ctx:
                self.assertFalse(ctx.closed)
                ctx.seal(TOPIC, b"")
            self.assertTrue(ctx.closed)
        self.assertTrue(kr.closed)
        with self.assertRaises(RuntimeError):
            with mqttseal.Context.from_string(kr_text()) as ctx2:
                raise RuntimeError("boom")
        self.assertTrue(ctx2.closed)

    def test_context_outlives_keyring(self):
        kr = mqttseal.Keyring().generate(1)
        ctx = mqttseal.Context(kr)
        kr.close()
        del kr
        gc.collect()
        self.assertEqual(ctx.open(TOPIC, ctx.seal(TOPIC, b"k")), b"k")
        ctx.close()

    def test_del_without_close(self):
        """Dropped handles are freed by __del__ (run under gc)."""
        for _ in range(200):
            kr = mqttseal.Keyring().generate(1)
            ctx = mqttseal.Context(kr)
            ctx.seal(TOPIC, b"")
            del ctx, kr
        gc.collect()

    def test_failed_constructor_is_safe(self):
        with self.assertRaises(TypeError):
            mqttseal.Context(mqttseal.Keyring().generate(1), bogus=1)
        gc.collect()

    def test_close_waits_for_running_calls(self):
        kr = mqttseal.Keyring().generate(1)
        ctx = mqttseal.Context(kr)
        kr.close()
        big = os.urandom(4 << 20)
        errors, done = [], []

        def worker():
            try:
                while True:
                    ctx.seal(TOPIC, big)
            except mqttseal.ClosedError:
                done.append(1)
            except Exception as e:   # anything else is a bug
                errors.append(e)

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        time.sleep(0.2)
        ctx.close()
        for t in threads:
            t.join(10)
        self.assertEqual(errors, [])
        self.assertEqual(len(done), 4)


def kr_text():
    with mqttseal.Keyring().generate(3) as kr:
        return kr.to_string()


class RoundTripTest(unittest.TestCase):
    def setUp(self):
        self.kr = mqttseal.Keyring().generate(1)
        self.tx = mqttseal.Context(self.kr)
        self.rx = mqttseal.Context(self.kr)

    def tearDown(self):
        for h in (self.tx, self.rx, self.kr):
            h.close()

    def test_payloads(self):
        for pt in (b"", bytes(range(256)), b"\0" * 1000, os.urandom(1 << 20)):
            env = self.tx.seal(TOPIC, pt)
            self.assertNotIn(pt, env) if len(pt) > 8 else None
            self.assertEqual(self.rx.open(TOPIC, env), pt)

    def test_bytes_like_inputs(self):
        env = self.tx.seal(TOPIC.encode(), bytearray(b"abc"))
        self.assertEqual(self.rx.open(bytearray(TOPIC.encode()),
                                      memoryview(env)), b"abc")

    def test_header_fields(self):
        envs = [self.tx.seal(TOPIC, b"%d" % i) for i in range(3)]
        for i, env in enumerate(envs):
            pt, h = self.rx.open_with_header(TOPIC, env)
            self.assertEqual(h.seq, i)
            self.assertEqual(h.session_id, self.tx.session_id)
            self.assertEqual(h.key_id, 1)
            self.assertIsNone(h.timestamp_ms)
            self.assertEqual(mqttseal.parse_header(env), h)
        self.assertNotEqual(self.tx.session_id, self.rx.session_id)
        self.assertEqual(len(self.tx.session_id), sizes.SESSIONIDBYTES)

    def test_rotation(self):
        old = self.tx.seal(TOPIC, b"old")
        old2 = self.tx.seal(TOPIC, b"old2")
        self.kr.generate(2)
        self.kr.set_primary(2)
        self.tx.set_keyring(self.kr)
        self.rx.set_keyring(self.kr)
        new = self.tx.seal(TOPIC, b"new")
        self.assertEqual(mqttseal.parse_header(new).key_id, 2)
        self.assertEqual(self.rx.open(TOPIC, old), b"old")
        self.assertEqual(self.rx.open(TOPIC, new), b"new")
        self.kr.remove(1)
        self.rx.set_keyring(self.kr)
        with self.assertRaises(mqttseal.UnknownKeyError):
            self.rx.open(TOPIC, old2)
        self.assertEqual(self.rx.open(TOPIC, self.tx.seal(TOPIC, b"2")), b"2")
        self.assertEqual(self.kr.key_ids(), [2])

    def test_keyring_api(self):
        e = self.kr.entries()
        self.assertEqual(e, [mqttseal.KeyInfo(1, "#", 0, True)])
        self.assertEqual(len(self.kr), 1)
        self.assertEqual(self.kr.primary, 1)
        text = self.kr.to_string()
        with mqttseal.Keyring.from_string(text) as copy:
            self.assertEqual(copy.to_string(), text)
        long = "site/" + "x" * 400 + "/#"   # past mqttseal_key_info's 255
        with self.kr.derive([long]) as dev:
            self.assertEqual([i.filter for i in dev], [long])
        with self.kr.derive(["site/a/#", "other/x"]) as dev:
            self.assertEqual(sorted(i.filter for i in dev),
                             ["other/x", "site/a/#"])
            self.assertEqual(dev.primary, 1)
            with mqttseal.Context(dev) as ctx:
                self.assertEqual(self.rx.open(TOPIC, ctx.seal(TOPIC, b"d")),
                                 b"d")
                with self.assertRaises(mqttseal.NoGrantError):
                    ctx.seal("site/b", b"")
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "kr")
            self.kr.save(p)
            with mqttseal.Keyring.from_file(p) as k2:
                self.assertEqual(k2.to_string(), text)
            with mqttseal.Context.from_file(p) as c2:
                self.assertEqual(c2.open(TOPIC, self.tx.seal(TOPIC, b"f")),
                                 b"f")

    def test_add_wipes_nothing_of_callers_bytes(self):
        key = bytearray(os.urandom(32))
        with mqttseal.Keyring().add(5, "#", key) as kr:
            kr.set_primary(5)
            self.assertEqual(len(key), 32)
            with mqttseal.Context(kr) as a, mqttseal.Context(kr) as b:
                self.assertEqual(b.open(TOPIC, a.seal(TOPIC, b"k")), b"k")

    def test_replay_state_survives_restart(self):
        envs = [self.tx.seal(TOPIC, b"%d" % i) for i in range(5)]
        for env in envs[:3]:
            self.rx.open(TOPIC, env)
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "state")
            self.rx.save_replay(p)
            self.assertEqual(os.stat(p).st_mode & 0o077, 0)
            with mqttseal.Context(self.kr) as again:
                self.assertEqual(again.open(TOPIC, envs[0]), b"0")  # no state
            with mqttseal.Context(self.kr) as again:
                again.load_replay(p)
                for env in envs[:3]:
                    with self.assertRaises(mqttseal.ReplayError):
                        again.open(TOPIC, env)
                self.assertEqual(again.open(TOPIC, envs[4]), b"4")
                self.assertEqual(again.open(TOPIC, envs[3]), b"3")

    def test_options(self):
        with mqttseal.Context(self.kr, timestamps=True, replay=True,
                              replay_window=128, replay_sessions=8,
                              cache_size=4, max_age_ms=10000,
                              skew_ms=500) as c:
            env = c.seal(TOPIC, b"o")
            self.assertIsNotNone(mqttseal.parse_header(env).timestamp_ms)
            self.assertEqual(c.open(TOPIC, env), b"o")
        with self.assertRaises(mqttseal.InvalidArgumentError):
            self.rx.set_cache_size(0)
        with self.assertRaises(mqttseal.InvalidArgumentError):
            self.rx.set_freshness(-1)

    def test_concurrent_seal_and_open(self):
        envs, errs = [], []
        lock = threading.Lock()

        def seal(n):
            try:
                for i in range(n):
                    e = self.tx.seal(TOPIC, b"%d" % i)
                    with lock:
                        envs.append(e)
            except Exception as e:
                errs.append(e)

        ts = [threading.Thread(target=seal, args=(2000,)) for _ in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        self.assertEqual(errs, [])
        seqs = {mqttseal.parse_header(e).seq for e in envs}
        self.assertEqual(seqs, set(range(8000)))   # no sequence reused
        chunks = [envs[i::4] for i in range(4)]
        ok = []

        def open_all(chunk):
            for e in chunk:
                try:
                    self.rx.open(TOPIC, e)
                    ok.append(1)
                except Exception as x:
                    errs.append(x)

        self.rx.set_replay(True, sizes.REPLAY_WINDOW_MAX, 16)
        ts = [threading.Thread(target=open_all, args=(c,)) for c in chunks]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        # Out-of-order arrival beyond the window is TOO_OLD; nothing else.
        for e in errs:
            self.assertIsInstance(e, mqttseal.TooOldError)
        self.assertEqual(len(ok) + len(errs), 8000)


class LookupTest(unittest.TestCase):
    def run_py(self, env,
               code="import mqttseal; print(mqttseal.library_path())"):
        e = dict(os.environ)
        for k in ("MQTTSEAL_LIBRARY", "MQTTSEAL_BUILD_DIR"):
            e.pop(k, None)
        e.update(env)
        e["PYTHONPATH"] = support.BINDING
        e["PYTHONDONTWRITEBYTECODE"] = "1"
        return subprocess.run([sys.executable, "-c", code], env=e,
                              capture_output=True, text=True, timeout=60)

    def test_env_var_wins(self):
        lib = mqttseal.library_path()
        r = self.run_py({"MQTTSEAL_LIBRARY": lib})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), lib)

    def test_explicit_but_missing_is_an_error(self):
        r = self.run_py({"MQTTSEAL_LIBRARY": "/nonexistent/libmqttseal.so"})
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("ImportError", r.stderr)
        self.assertIn("/nonexistent/libmqttseal.so", r.stderr)
        self.assertIn("MQTTSEAL_BUILD_DIR", r.stderr)

    def test_build_dir(self):
        lib = os.path.realpath(mqttseal.library_path())
        src = os.path.dirname(lib)
        if os.path.basename(src) != "src":
            self.skipTest("library not in a meson build dir")
        r = self.run_py({"MQTTSEAL_BUILD_DIR": os.path.dirname(src)})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(os.path.dirname(os.path.realpath(r.stdout.strip())),
                         src)
        r = self.run_py({"MQTTSEAL_BUILD_DIR": "/nonexistent-build"})
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("/nonexistent-build/src/libmqttseal.so", r.stderr)


    def test_source_tree_builds_are_never_searched(self):
        # A copy of the binding inside a source tree whose newest build
        # directory holds a library: without MQTTSEAL_LIBRARY it must not
        # be loaded (after tests/run.sh the newest one is the ASan build).
        import shutil
        import tempfile
        with tempfile.TemporaryDirectory() as root:
            pkg = os.path.join(root, "bindings", "python")
            shutil.copytree(os.path.join(support.BINDING, "mqttseal"),
                            os.path.join(pkg, "mqttseal"))
            os.makedirs(os.path.join(root, "build-asan", "src"))
            shutil.copy(os.path.realpath(mqttseal.library_path()),
                        os.path.join(root, "build-asan", "src",
                                     "libmqttseal.so"))
            e = dict(os.environ)
            for k in ("MQTTSEAL_LIBRARY", "MQTTSEAL_BUILD_DIR",
                      "LD_LIBRARY_PATH"):
                e.pop(k, None)
            e["PYTHONPATH"] = pkg
            e["PYTHONDONTWRITEBYTECODE"] = "1"
            r = subprocess.run(
                [sys.executable, "-c",
                 "import mqttseal; print(mqttseal.library_path())"],
                env=e, capture_output=True, text=True, timeout=60)
            self.assertNotIn(root, r.stdout)
            if r.returncode != 0:   # nothing installed: the error says so
                self.assertIn("ImportError", r.stderr)
                self.assertIn("installed (find_library)", r.stderr)
                self.assertIn("installed (dynamic linker)", r.stderr)
                self.assertIn("MQTTSEAL_LIBRARY", r.stderr)

    def test_sanitizer_build_is_refused_not_aborted(self):
        # A real AddressSanitizer library named libmqttseal.so: loading it
        # into this uninstrumented python3 would abort the interpreter.
        import shutil
        import tempfile
        cc = shutil.which("cc") or shutil.which("gcc")
        if cc is None:
            self.skipTest("no C compiler")
        with tempfile.TemporaryDirectory() as d:
            c = os.path.join(d, "x.c")
            so = os.path.join(d, "libmqttseal.so")
            with open(c, "w") as f:
                f.write("int mqttseal_init(void) { return 0; }\n")
            b = subprocess.run([cc, "-shared", "-fPIC", "-fsanitize=address",
                                "-o", so, c], capture_output=True)
            if b.returncode != 0:
                self.skipTest("cannot build an ASan library here")
            r = self.run_py({"MQTTSEAL_LIBRARY": so})
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("ImportError", r.stderr)
            self.assertIn("sanitizer build", r.stderr)
            self.assertIn(so, r.stderr)

if __name__ == "__main__":
    unittest.main()
