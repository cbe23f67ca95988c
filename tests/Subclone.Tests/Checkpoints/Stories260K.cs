namespace Subclone.Tests.Checkpoints;

/// <summary>
/// Paths into the shared stories260K fixture (Karpathy's tinyllamas 260K model, its 512-token tokenizer and
/// greedy output recorded from llama2.c's own run.c). CI clones the repository with <c>shared/</c> beside it,
/// so search upward from the test binaries rather than hard-coding a root.
/// </summary>
static class Stories260K
{
    static readonly Lazy<string> Directory = new(Locate);

    public static string Checkpoint => Path.Combine(Directory.Value, "stories260K.bin");

    public static string Tokenizer => Path.Combine(Directory.Value, "tok512.bin");

    public static string GreedyReference => Path.Combine(Directory.Value, "greedy_reference.json");

    static string Locate()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "data", "stories260K");
            if (System.IO.Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException($"no shared/data/stories260K above {AppContext.BaseDirectory}");
    }
}
