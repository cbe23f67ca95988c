using Subclone.Tests.Support;

namespace Subclone.Tests.Cli.Defects;

/// <summary>
/// Issue 11, items 1–4 and 17: an --out that is, contains or lies inside an input, an existing file where a directory is
/// written (and the reverse), and unwritable or empty paths are refused before any work, naming --out, with nothing
/// of the user's touched.
/// </summary>
public class OutputGuardTests
{
    /// <summary>A copy of a fixture the test may lose without harm (the guard must make sure it does not).</summary>
    static string CopyFixture(TempDir dir, string name)
    {
        string target = dir[name];
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(SharedData.Fixture(name))) File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        return target;
    }

    static Dictionary<string, byte[]> Snapshot(string dir) =>
        Directory.GetFiles(dir, "*", SearchOption.AllDirectories).ToDictionary(f => f, File.ReadAllBytes);

    [SharedFact]
    public void Item1_clone_onto_its_parent_with_force_is_refused_and_the_parent_survives()
    {
        using var dir = new TempDir();
        string parent = CopyFixture(dir, "gpt2-tiny");
        var before = Snapshot(parent);
        Refusal.Assert(["clone", parent, "--out", parent, "--force", "--ratio", "0.5", "--select", "first"], "--out", "is the input");
        // Around the parent and inside it are as destructive as on it.
        Refusal.Assert(["clone", parent, "--out", dir.Path, "--force", "--ratio", "0.5", "--select", "first"], "contains the input");
        Refusal.Assert(["clone", parent, "--out", Path.Combine(parent, "child"), "--ratio", "0.5", "--select", "first"], "is inside the input");
        Assert.Equal(before.Keys.Order(), Snapshot(parent).Keys.Order());
        Assert.All(before, kv => Assert.Equal(kv.Value, File.ReadAllBytes(kv.Key)));
    }

    [SharedFact]
    public void Item1_other_inputs_are_guarded_too()
    {
        using var dir = new TempDir();
        string config = Path.Combine(SharedData.Fixture("gpt2-tiny"), "config.json");
        Refusal.Assert(["init", "--config", config, "--out", SharedData.Fixture("gpt2-tiny"), "--force"], "--out", "contains the input");
        File.WriteAllText(dir["calib.txt"], "some text\n\nmore text");
        Refusal.Assert(["rank", SharedData.Fixture("gpt2-tiny"), "--calib", dir["calib.txt"], "--out", dir["calib.txt"]], "--out", "is the input");
    }

    [Fact]
    public void Item2_demo_does_not_wipe_an_existing_folder()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["mine.txt"], "the user's file");
        Refusal.Assert(["demo", "--out", dir.Path], "--out", "already exists");
        Assert.Equal("the user's file", File.ReadAllText(dir["mine.txt"]));
    }

    [SharedTheory]
    [InlineData("clone", "--ratio", "0.5")]
    [InlineData("init")]
    [InlineData("import")]
    [InlineData("demo")]
    public void Item3_an_existing_file_as_out_is_refused_at_once(string command, params string[] extra)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["taken"], "keep me");
        string[] args = command switch
        {
            "clone" => ["clone", SharedData.Fixture("gpt2-tiny"), "--select", "first", .. extra],
            "init" => ["init", "--config", Path.Combine(SharedData.Fixture("gpt2-tiny"), "config.json")],
            "import" => ["import", SharedData.Data("stories260K/stories260K.bin")],
            _ => ["demo"],
        };
        Refusal.Assert([.. args, "--out", dir["taken"]], "--out", "is a file");
        Assert.Equal("keep me", File.ReadAllText(dir["taken"]));
        Assert.Single(Directory.GetFileSystemEntries(dir.Path));
    }

    [SharedFact]
    public void Item4_a_folder_where_a_file_is_expected_is_refused_naming_it()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["maps"]);
        Directory.CreateDirectory(dir["cfgs"]);
        Directory.CreateDirectory(dir["scores"]);
        Refusal.Assert(["clone", SharedData.Fixture("gpt2-tiny"), "--out", dir["child"], "--map", dir["maps"]], "--map", "is a directory");
        Refusal.Assert(["init", "--config", dir["cfgs"], "--out", dir["model"]], "--config", "is a directory");
        Refusal.Assert(["rank", SharedData.Fixture("gpt2-tiny"), "--out", dir["scores"]], "--out", "is a directory");
        Assert.Equal(3, Directory.GetFileSystemEntries(dir.Path).Length);
    }

    [SharedFact]
    public void Item17_an_unwritable_or_empty_out_names_out_not_a_temporary_file()
    {
        string line = Refusal.Assert(["clone", SharedData.Fixture("gpt2-tiny"), "--out", "/proc/x", "--ratio", "0.5", "--select", "first"], "--out /proc/x");
        Assert.DoesNotContain(".tmp-", line);
        line = Refusal.Assert(["clone", SharedData.Fixture("gpt2-tiny"), "--out", "", "--ratio", "0.5", "--select", "first"], "--out", "empty path");
        Assert.DoesNotContain("Parameter", line);
    }

    [Fact]
    public void The_library_guard_refuses_a_directory_output_around_an_input()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["input.txt"], "x");
        var e = Assert.Throws<UserInputException>(() => OutputPath.Directory(dir.Path, [dir["input.txt"]], replace: true));
        Assert.Contains("contains the input", e.Message);
        Assert.Equal(Path.GetFullPath(dir["new"]), OutputPath.Directory(dir["new"], [dir["input.txt"], "gpt2", null], replace: false));
        File.WriteAllText(dir["scores.json"], "the user's");
        Assert.Contains("already exists", Assert.Throws<UserInputException>(() => OutputPath.File(dir["scores.json"], [], replace: false)).Message);
        Assert.Equal(Path.GetFullPath(dir["scores.json"]), OutputPath.File(dir["scores.json"], [], replace: true));
    }
}
