namespace Subclone.Tests.Support;

/// <summary>Locates ../shared (fixtures and real data) beside the checkout; tests that need it skip where it is absent.</summary>
public static class SharedData
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Root => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    public static bool Available => Directory.Exists(Path.Combine(Root, "fixtures"));

    public const string AbsentMessage = "../shared (fixtures and real data) is not beside this checkout";

    public static string Fixture(string name) => Path.Combine(Root, "fixtures", name);

    public static string Data(string relative) => Path.Combine(Root, "data", relative);

    static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Subclone.sln"))) return dir.FullName;
        throw new InvalidOperationException("cannot find the repository root (Subclone.sln) above " + AppContext.BaseDirectory);
    }
}

/// <summary>A fact that needs ../shared: skipped, with the reason, where it is absent.</summary>
public sealed class SharedFactAttribute : FactAttribute
{
    public SharedFactAttribute() { if (!SharedData.Available) Skip = SharedData.AbsentMessage; }
}

/// <summary>A theory that needs ../shared: skipped, with the reason, where it is absent.</summary>
public sealed class SharedTheoryAttribute : TheoryAttribute
{
    public SharedTheoryAttribute() { if (!SharedData.Available) Skip = SharedData.AbsentMessage; }
}
