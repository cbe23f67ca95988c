using Subclone.Checkpoints;
using Subclone.Tests.Support;
using static TorchSharp.torch;

namespace Subclone.Tests.Checkpoints;

/// <summary>Save replaces a directory all at once or not at all, and never leaves its temporary directory behind.</summary>
public class AtomicSaveTests
{
    /// <summary>Every file under a directory with its content, to compare before and after.</summary>
    static Dictionary<string, string> Snapshot(string directory) =>
        Directory.GetFiles(directory, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(directory, f), File.ReadAllText);

    static string ExistingDirectory(TempDir temp)
    {
        string target = temp["model"];
        Directory.CreateDirectory(Path.Combine(target, "nested"));
        File.WriteAllText(Path.Combine(target, "keep.txt"), "the user's file");
        File.WriteAllText(Path.Combine(target, "nested", "notes.md"), "also the user's");
        return target;
    }

    static string[] Siblings(TempDir temp) => Directory.GetFileSystemEntries(temp.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    /// <summary>An extra file in a subdirectory that does not exist: fails after config.json and the weights are written.</summary>
    static readonly (string, string)[] UnwritableExtra = [("no-such-directory/notes.txt", "x")];

    [Theory]
    [InlineData("")]
    [InlineData("/")]
    public void Save_into_an_existing_directory_without_overwrite_throws_and_touches_nothing(string suffix)
    {
        using var temp = new TempDir();
        string target = ExistingDirectory(temp);
        var before = Snapshot(target);

        var e = Assert.Throws<CheckpointException>(() => HfCheckpoint.Save(TinyModels.Gpt2(), target + suffix, ScalarType.Float32));

        Assert.Equal(target, e.Path);
        Assert.StartsWith(target + ": ", e.Message);
        Assert.Contains("already exists", e.Message);
        Assert.Equal(before, Snapshot(target));
        Assert.Equal(["model"], Siblings(temp));
    }

    [Fact]
    public void Save_with_overwrite_replaces_the_whole_directory()
    {
        using var temp = new TempDir();
        string target = ExistingDirectory(temp);
        var model = TinyModels.Gpt2();

        HfCheckpoint.Save(model, target, ScalarType.Float32, overwrite: true);

        Assert.Equal(new[] { HfCheckpoint.ConfigFile, HfCheckpoint.SingleFile }.Order(StringComparer.Ordinal), Snapshot(target).Keys.Order(StringComparer.Ordinal));
        ModelAssert.BitIdentical(model, HfCheckpoint.Load(target).Model);
        Assert.Equal(["model"], Siblings(temp));
    }

    [Fact]
    public void Failing_save_leaves_neither_the_target_nor_a_temporary_directory()
    {
        using var temp = new TempDir();
        string target = temp["model"];

        Assert.ThrowsAny<IOException>(() => HfCheckpoint.Save(TinyModels.Gpt2(), target, ScalarType.Float32, extraFiles: UnwritableExtra));

        Assert.False(Directory.Exists(target));
        Assert.Empty(Siblings(temp));
    }

    [Fact]
    public void Failing_overwrite_leaves_the_existing_directory_as_it_was()
    {
        using var temp = new TempDir();
        string target = ExistingDirectory(temp);
        var before = Snapshot(target);

        Assert.ThrowsAny<IOException>(() => HfCheckpoint.Save(TinyModels.Gpt2(), target, ScalarType.Float32, overwrite: true, extraFiles: UnwritableExtra));

        Assert.Equal(before, Snapshot(target));
        Assert.Equal(["model"], Siblings(temp));
    }

    [Fact]
    public void Unsavable_dtype_fails_without_leaving_anything()
    {
        using var temp = new TempDir();
        string target = temp["model"];

        Assert.Throws<ArgumentException>(() => HfCheckpoint.Save(TinyModels.Llama(), target, ScalarType.Int32));

        Assert.Empty(Siblings(temp));
    }
}
