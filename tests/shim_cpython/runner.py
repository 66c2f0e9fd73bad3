# Runs CPython test modules (libpython3.11-testsuite) and compares every
# test's outcome with an expectations file:
#   python3 runner.py EXPECTATIONS MODULE...
# EXPECTATIONS lines: "<test id> <fail|flaky|skip-run> # reason" ('#' lines
# are comments). fail: the test is expected to fail or error under the shim;
# flaky: it fails or passes depending on timing (counted, not compared);
# skip-run: not run at all (it hangs on this machine with or without the
# shim). Every other test must pass (or be skipped by CPython itself).
# An unexpected failure and an unexpected pass both fail the run.
import importlib, sys, unittest

exp_file, modules = sys.argv[1], sys.argv[2:]
expect = {}
for line in open(exp_file):
    line = line.split("#", 1)[0].strip()
    if line:
        tid, what = line.split()
        assert what in ("fail", "flaky", "skip-run"), line
        expect[tid] = what

outcome = {}

class Result(unittest.TextTestResult):
    def addSuccess(self, test):
        super().addSuccess(test); outcome[test.id()] = "pass"
    def addFailure(self, test, err):
        super().addFailure(test, err); outcome[test.id()] = "fail"
    def addError(self, test, err):
        super().addError(test, err)
        outcome[getattr(test, "id", lambda: str(test))()] = "fail"
    def addSkip(self, test, reason):
        super().addSkip(test, reason); outcome[test.id()] = "skip"
    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err); outcome[test.id()] = "pass"
    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test); outcome[test.id()] = "fail"

def strip(suite):
    out = unittest.TestSuite()
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            out.addTest(strip(t))
        elif expect.get(t.id()) != "skip-run":
            out.addTest(t)
    return out

suite = unittest.TestSuite()
for m in modules:
    mod = importlib.import_module("test." + m)
    suite.addTest(strip(unittest.defaultTestLoader.loadTestsFromModule(mod)))
    if hasattr(mod, "setUpModule"):
        mod.setUpModule()
unittest.TextTestRunner(resultclass=Result, verbosity=1, stream=sys.stderr).run(suite)

bad = 0
counts = {"pass": 0, "fail": 0, "skip": 0}
flaky = {"pass": 0, "fail": 0}
for tid, o in sorted(outcome.items()):
    want = expect.get(tid)
    if want == "flaky":
        flaky["fail" if o == "fail" else "pass"] += 1
        print("flaky", tid, o)
        continue
    counts[o] = counts.get(o, 0) + 1
    if o == "fail" and want != "fail":
        print("UNEXPECTED FAILURE", tid); bad += 1
    elif o != "fail" and want == "fail":
        print("UNEXPECTED PASS", tid, "(" + o + ")"); bad += 1
missing = [t for t, w in expect.items() if w == "fail" and t not in outcome]
for t in missing:
    print("EXPECTED FAILURE NOT RUN", t); bad += 1
nskip = sum(1 for w in expect.values() if w == "skip-run")
print("summary: %d passed, %d failed (all expected: %s), %d skipped by CPython, "
      "flaky %d passed / %d failed, %d not run (expectations)"
      % (counts["pass"], counts["fail"], "yes" if bad == 0 else "NO", counts["skip"],
         flaky["pass"], flaky["fail"], nskip))
sys.exit(1 if bad else 0)
