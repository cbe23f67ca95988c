using Subclone.Checkpoints;
using Subclone.Tests.Support;

namespace Subclone.Tests.Checkpoints;

/// <summary>Tokenizer and generation files travel with the weights when Save is told where they are.</summary>
public class CompanionFilesTests
{
    const string Fixture = "hf-tiny-random-gpt2";

    [SharedFact]
    public void Tokenizer_files_are_copied_from_the_companion_source()
    {
        using var temp = new TempDir();
        string source = SharedData.Fixture(Fixture);
        var loaded = HfCheckpoint.Load(source);
        HfCheckpoint.Save(loaded.Model, temp["saved"], loaded.StoredDtype, companionSource: source);

        string[] expected = ["vocab.json", "merges.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json"];
        foreach (var name in expected)
        {
            string copy = Path.Combine(temp["saved"], name);
            Assert.True(File.Exists(copy), $"{name} was not copied");
            Assert.Equal(File.ReadAllBytes(Path.Combine(source, name)), File.ReadAllBytes(copy));
        }
        // Only companions: not the fixture's test data, and config.json / weights are Subclone's own.
        Assert.Equal(
            expected.Append(HfCheckpoint.ConfigFile).Append(HfCheckpoint.SingleFile).Order(StringComparer.Ordinal),
            Directory.GetFiles(temp["saved"]).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(source, HfCheckpoint.ConfigFile)), File.ReadAllBytes(Path.Combine(temp["saved"], HfCheckpoint.ConfigFile)));
    }

    [SharedFact]
    public void Without_a_companion_source_only_the_model_is_written()
    {
        using var temp = new TempDir();
        var loaded = HfCheckpoint.Load(SharedData.Fixture(Fixture));
        HfCheckpoint.Save(loaded.Model, temp["saved"], loaded.StoredDtype);

        Assert.Equal(
            new[] { HfCheckpoint.ConfigFile, HfCheckpoint.SingleFile }.Order(StringComparer.Ordinal),
            Directory.GetFiles(temp["saved"]).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [SharedFact]
    public void Extra_files_are_written_beside_the_model()
    {
        using var temp = new TempDir();
        var loaded = HfCheckpoint.Load(SharedData.Fixture(Fixture));
        HfCheckpoint.Save(loaded.Model, temp["saved"], loaded.StoredDtype, extraFiles: [("README.md", "# child\n")]);

        Assert.Equal("# child\n", File.ReadAllText(Path.Combine(temp["saved"], "README.md")));
    }
}
