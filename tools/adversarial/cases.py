# Every numbered case of issue #24, run against a binary: prints a Markdown table of exit codes and
# messages (docs/robustness.md). Usage: python3 tools/adversarial/cases.py UNROLLED CORPUS (run as root
# for the /dev/stdout and /dev/null cases; writes only to a temporary directory).
import os, subprocess, sys, tempfile, shutil, json, stat
U = sys.argv[1]; C = sys.argv[2]
W = tempfile.mkdtemp(prefix="adv-"); os.chdir(W)
env = dict(os.environ); env.pop("UNROLLED_CORPUS", None)
def run(args, shell=False, stdin=None, timeout=120):
    p = subprocess.run(args if shell else [U] + args, shell=shell, capture_output=True, text=True, timeout=timeout, env=env, input=stdin)
    err = [l for l in p.stderr.splitlines() if l.strip()]
    return p.returncode, (err[-1] if err else p.stdout.strip().splitlines()[-1] if p.stdout.strip() else "")
rows = []
def case(n, what, res, extra=""):
    code, line = res
    rows.append((n, what, code, (line[:150] + ("…" if len(line) > 150 else "")) + (f" ({extra})" if extra else "")))
# weights for generate / resume cases
run(["run", "char3", "--corpus", C, "--epochs-scale", "0.002", "--save", "w.safetensors", "--no-plot"])
run(["run", "char-rnn", "--corpus", C, "--epochs-scale", "0.0005", "--save", "rnn.safetensors", "--no-plot"])
# 1. special files, symlinks, inputs as outputs
r = run(f"{U} trace char3 --corpus {C} --out /dev/stdout > t.jsonl", shell=True)
case("1", "`trace char3 --out /dev/stdout > t.jsonl` (root)", r, f"/dev/stdout still a symlink: {os.path.islink('/dev/stdout')}, t.jsonl {os.path.getsize('t.jsonl')} bytes")
open("real.jsonl", "w").write("old\n"); os.symlink("real.jsonl", "link.jsonl")
r = run(["trace", "char3", "--corpus", C, "--out", "link.jsonl"])
case("1", "`trace --out link.jsonl` (a symlink)", r, f"link kept: {os.path.islink('link.jsonl')}, target rewritten: {not open('real.jsonl').read().startswith('old')}")
shutil.copy(C, "corpus.txt"); before = os.path.getsize("corpus.txt")
r = run(["run", "char3", "--corpus", "corpus.txt", "--epochs-scale", "0.001", "--save", "corpus.txt", "--no-plot"])
case("1", "`run --save` the corpus being read", r, f"corpus unchanged: {os.path.getsize('corpus.txt') == before}")
r = run(["trace", "char3", "--corpus", "corpus.txt", "--out", "corpus.txt"])
case("1", "`trace --out` the corpus being read", r)
# 2. crashes
r = run(["generate", "char-rnn", "--weights", "rnn.safetensors", "--corpus", C, "-n", "1", "--prompt", "the " * 20000])
case("2", "`generate --prompt` of 80,000 characters", r)
# checkpoint with adam_step huge
os.makedirs("ck", exist_ok=True)
run(["run", "char3", "--corpus", C, "--epochs-scale", "0.002", "--checkpoint", "ck", "--no-plot"])
ck = "ck/char3.checkpoint.safetensors"

def craft(path, out, edit):
    b = open(path, "rb").read(); n = int.from_bytes(b[:8], "little"); h = json.loads(b[8:8+n])
    meta = json.loads(h["__metadata__"]["unrolled_checkpoint"]); edit(meta)
    h["__metadata__"]["unrolled_checkpoint"] = json.dumps(meta)
    hb = json.dumps(h).encode(); hb += b" " * ((8 - len(hb) % 8) % 8)
    open(out, "wb").write(len(hb).to_bytes(8, "little") + hb + b[8+n:])
for key, val in [("adamStep", 2**63 - 500), ("phase", 2**63 - 1), ("epoch", 999999999)]:
    craft(ck, "crafted.safetensors", lambda m: m.__setitem__(key, val))
    case("2/6", f"`--resume` a checkpoint with {key} = {val}", run(["run", "char3", "--corpus", C, "--epochs-scale", "0.002", "--resume", "crafted.safetensors", "--no-plot"]))
craft(ck, "crafted.safetensors", lambda m: m["smoother"].__setitem__("count", 2**63 - 1))
case("2", "`--resume` with smoother count = Int.max", run(["run", "char3", "--corpus", C, "--epochs-scale", "0.002", "--resume", "crafted.safetensors", "--no-plot"]))
craft(ck, "crafted.safetensors", lambda m: m.__setitem__("optimizer", "sgd"))
case("6", "`--resume` with optimizer = sgd", run(["run", "char3", "--corpus", C, "--epochs-scale", "0.002", "--resume", "crafted.safetensors", "--no-plot"]))
# golden fixtures out of range
os.makedirs("fx", exist_ok=True)
import struct
src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../Tests/ModelsTests/Fixtures/golden/char3.safetensors")
b = bytearray(open(src, "rb").read()); n = int.from_bytes(b[:8], "little"); h = json.loads(b[8:8+n])
off = h["input.x"]["data_offsets"][0] + 8 + n
struct.pack_into("<f", b, off, 85.0); open("fx/char3.safetensors", "wb").write(b)
case("2", "`golden char3 --fixtures` with input.x[0] = 85", run(["golden", "char3", "--fixtures", "fx"]))
struct.pack_into("<f", b, off, float("nan")); open("fx/char3.safetensors", "wb").write(b)
case("2", "… with input.x[0] = NaN", run(["golden", "char3", "--fixtures", "fx"]))
# 4. hangs
os.mkfifo("fifo")
case("4", "FIFO as `--weights`", run(["generate", "char3", "--weights", "fifo", "--corpus", C, "-n", "5"], timeout=20))
case("4", "FIFO as `--resume`", run(["run", "char3", "--corpus", C, "--resume", "fifo"], timeout=20))
case("4", "`generate -n 10000000`", run(["generate", "char3", "--weights", "w.safetensors", "--corpus", C, "-n", "10000000"], timeout=60))
# 6. resume gaps
run(["run", "char3", "--corpus", C, "--epochs-scale", "0.002", "--checkpoint", "ck2", "--no-plot"])
r = run(["run", "char3", "--corpus", C, "--epochs-scale", "0.002", "--resume", "ck2/char3.checkpoint.safetensors", "--out", "resumed"])
case("6", "`--resume` a finished checkpoint", r, f"loss.svg written: {os.path.exists('resumed/char3/loss.svg')}")
# 7. late and quiet failures
case("7", "`run --out /dev/null`", run(["run", "char3", "--corpus", C, "--epochs-scale", "0.002", "--out", "/dev/null"]))
os.makedirs("lessons", exist_ok=True)
LESSONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../lessons")
for f in os.listdir(LESSONS): shutil.copy(os.path.join(LESSONS, f), "lessons/")
long = "x" * 300
txt = open("lessons/02-char3.yaml").read().replace("id: char3", "id: " + long, 1)
open("lessons/10-long.yaml", "w").write(txt)
env["UNROLLED_LESSONS"] = W + "/lessons"
case("7", "a 300-character lesson id", run(["run", long, "--corpus", C, "--epochs-scale", "0.001"]))
os.remove("lessons/10-long.yaml")
case("7", "`run --epochs-scale 1e-10`", run(["run", "char3", "--corpus", C, "--epochs-scale", "1e-10", "--save", "tiny.safetensors"]), f"weights written: {os.path.exists('tiny.safetensors')}")
txt = open("lessons/02-char3.yaml").read()
if "at:" in txt:
    import re
    bad = re.sub(r"at: [^\n]+", "at: no-such-label", txt, count=1)
    open("lessons/02-char3.yaml", "w").write(bad)
    case("7", "a beat `at:` a label that does not exist", run(["run", "char3", "--corpus", C, "--epochs-scale", "0.001"]))
    open("lessons/02-char3.yaml", "w").write(txt)
env.pop("UNROLLED_LESSONS")
hb = b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'
hb += b" " * ((8 - len(hb) % 8) % 8)
open("dup.safetensors", "wb").write(len(hb).to_bytes(8, "little") + hb + b"\0\0\0\0")
case("7", "a safetensors header with a duplicate key (`--weights`)", run(["generate", "char3", "--weights", "dup.safetensors", "--corpus", C, "-n", "5"]))
case("7", "`/dev/null` as the corpus (root)", run(["run", "char3", "--corpus", "/dev/null"]))
case("7", "`run /etc/shadow`", run(["run", "/etc/shadow"]))
print("| # | case | exit | message (last line of stderr) |")
print("|---|---|---|---|")
for n, what, code, line in rows:
    safe = line.replace('|', '/')
    print(f"| {n} | {what} | {code} | {safe} |")
shutil.rmtree(W, ignore_errors=True)
