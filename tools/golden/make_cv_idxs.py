"""The seed's validation rows, from numpy itself: fastai 0.7's get_cv_idxs(n) is
np.random.RandomState(42).permutation(n)[:int(0.2*n)]. Writes Tests/ModelsTests/Fixtures/cv_idxs.json
with, per n, the first and last five indices and two checksums (the set's sum, and the ordered
list's sum of (position+1)*index mod 2**64), for nietzsche's three layouts and a small n."""
import json
import pathlib

import numpy as np

# Row counts of nietzsche.txt's layouts as the seed passes them to get_cv_idxs:
# windows len(idx)-cs-1, sequences len(xs)-cs-1, every-3rd len(c1_dat) (the seed itself
# validates char3 on its last row; the cv rows are listed for completeness).
CASES = {"overlapping-windows": 600_884, "non-overlapping-sequences": 75_102, "every-3rd": 200_295, "small": 10}


def main():
    out = {"generator": f"tools/golden/make_cv_idxs.py (numpy {np.__version__})", "cases": []}
    for name, n in CASES.items():
        v = np.random.RandomState(42).permutation(n)[: int(0.2 * n)]
        ordered = sum((k + 1) * int(x) for k, x in enumerate(v)) % (1 << 64)
        out["cases"].append({"name": name, "n": n, "count": len(v), "first": [int(x) for x in v[:5]],
                             "last": [int(x) for x in v[-5:]], "sum": int(v.sum()), "ordered_checksum": ordered})
    path = pathlib.Path(__file__).resolve().parents[2] / "Tests/ModelsTests/Fixtures/cv_idxs.json"
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
