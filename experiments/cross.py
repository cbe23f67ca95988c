#!/usr/bin/env python3
# Best-vs-best figures across separate `compare` runs (same seeds and batches), computed exactly as compare's
# ComparisonResult does: per seed, target = random's final val loss; steps = linear crossing between evaluations;
# speed-up = random's crossing of its own final over the init's crossing (none when the init is at target at init).
import csv, sys, statistics
def curve(d):
    pts=[(int(r['step']), float(r['val_loss'])) for r in csv.DictReader(open(d+'/metrics.csv')) if r['val_loss']]
    return pts
def first(c, t):
    for i,(x,v) in enumerate(c):
        if v>t: continue
        if i==0: return float(x)
        x0,v0=c[i-1]; return x0+(v0-t)/(v0-v)*(x-x0)
    return None
def spread(vals, d):
    v=[x for x in vals if x is not None]
    if not v: return '–'
    m,lo,hi=round(sum(v)/len(v),d),round(min(v),d),round(max(v),d)
    return f"{m:.{d}f} [{lo:.{d}f}–{hi:.{d}f}]" + (f" (n={len(v)})" if len(v)<len(vals) else '')
sub, rnd = sys.argv[1], sys.argv[2]   # run dirs without the seed suffix, e.g. .../subclone/lr0.01-wd0.001
seeds=[0,1,2] if len(sys.argv)<4 else [int(s) for s in sys.argv[3].split(',')]
fin_s, fin_r, steps, sp = [], [], [], []
for s in seeds:
    cs, cr = curve(f"{sub}-seed{s}"), curve(f"{rnd}-seed{s}")
    t=cr[-1][1]; a=first(cs,t); b=first(cr,t)
    fin_s.append(cs[-1][1]); fin_r.append(t); steps.append(a)
    sp.append(b/a if a and b else None)
print(f"random final {spread(fin_r,3)} | init final {spread(fin_s,3)} | steps {spread(steps,1)} | speed-up {spread(sp,2)}×")
# Usage: experiments/cross.py OUT/init/lrX-wdY OUT/random/lrX-wdY [seeds, e.g. 0,1,2]
