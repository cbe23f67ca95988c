using Subclone.Fuzz;
using Subclone.Tests.Support;

namespace Subclone.Tests.Fuzz;

/// <summary>
/// Every file of the fuzz corpus (fuzz/corpus/TARGET) and every crash reproducer (fuzz/crashes/TARGET), replayed
/// through the target function afl-fuzz ran (fuzz/Subclone.Fuzz/Targets): each must be accepted or refused with a
/// one-line error naming the file; anything else escapes and fails the test. See docs/reliability.md.
/// </summary>
public sealed class FuzzReplayTests
{
    static readonly string FuzzDir = Path.Combine(SharedData.RepoRoot, "fuzz");
    static readonly string[] InputFolders = ["corpus", "crashes"];

    /// <summary>Paths relative to fuzz/: corpus/TARGET/NAME and crashes/TARGET/NAME.</summary>
    public static TheoryData<string> Inputs()
    {
        var data = new TheoryData<string>();
        foreach (string folder in InputFolders.Select(f => Path.Combine(FuzzDir, f)).Where(Directory.Exists))
            foreach (string file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                data.Add(Path.GetRelativePath(FuzzDir, file).Replace('\\', '/'));
        return data;
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Input_is_accepted_or_refused_with_one_line_naming_the_file(string input)
    {
        string[] parts = input.Split('/');
        var target = FuzzTargets.Find(parts[1]) ?? throw new InvalidOperationException($"fuzz/{input}: no fuzz target '{parts[1]}'");
        bool accepted = target.Run(File.ReadAllBytes(Path.Combine(FuzzDir, input)));
        // Seeds named valid-* are what the fuzzer mutates from; refusing one would leave the reader's end unfuzzed.
        if (parts[^1].StartsWith("valid-", StringComparison.Ordinal)) Assert.True(accepted, $"fuzz/{input} was refused");
    }

    [Fact]
    public void Every_target_has_a_seed_corpus()
    {
        foreach (var target in FuzzTargets.All)
            Assert.NotEmpty(Directory.GetFiles(Path.Combine(FuzzDir, "corpus", target.Name)));
    }

    [Fact]
    public void The_committed_seeds_are_what_the_generator_writes()
    {
        foreach (var seed in SeedCorpus.All())
            Assert.True(seed.Bytes.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(FuzzDir, "corpus", seed.Target, seed.Name))),
                $"fuzz/corpus/{seed.Target}/{seed.Name} differs from SeedCorpus; regenerate it with: dotnet run --project fuzz/Subclone.Fuzz -- seeds fuzz/corpus");
    }
}
