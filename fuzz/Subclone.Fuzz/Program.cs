using SharpFuzz;
using Subclone.Fuzz;

// Fuzz harness for Subclone's readers (see docs/reliability.md):
//   Subclone.Fuzz TARGET                  run under afl-fuzz (fuzz/run.sh): SharpFuzz feeds inputs from stdin
//   Subclone.Fuzz replay TARGET FILE…     run inputs once, printing accepted / refused / the finding (exit 1 on a finding)
//   Subclone.Fuzz seeds DIR               write the seed corpus to DIR/<target>/
switch (args)
{
    case [var name] when FuzzTargets.Find(name) is { } target:
        // Out of process: a crash that kills the runtime (stack overflow, native fault) is reported, not fatal to afl-fuzz.
        Fuzzer.OutOfProcess.Run(stream =>
        {
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            target.Run(buffer.ToArray());
        });
        return 0;
    case ["replay", var name, .. var files] when FuzzTargets.Find(name) is { } target:
        return Replay(target, files);
    case ["seeds", var dir]:
        Console.WriteLine($"wrote {SeedCorpus.Write(dir)} seeds under {dir}");
        return 0;
    default:
        Console.Error.WriteLine($"usage: Subclone.Fuzz TARGET | replay TARGET FILE... | seeds DIR\ntargets: {string.Join(", ", FuzzTargets.All.Select(t => $"{t.Name} ({t.Input})"))}");
        return 2;
}

static int Replay(FuzzTarget target, IEnumerable<string> files)
{
    int findings = 0;
    foreach (string file in files)
    {
        try
        {
            Console.WriteLine($"{file}: {(target.Run(File.ReadAllBytes(file)) ? "accepted" : $"refused: {Refusal.LastMessage}")}");
        }
        catch (Exception e)
        {
            findings++;
            Console.WriteLine($"{file}: FINDING {e}");
        }
    }
    return findings == 0 ? 0 : 1;
}
