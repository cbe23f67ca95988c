using Subclone.Checkpoints;
using Subclone.Tests.Cli;
using Subclone.Tests.Models;
using Subclone.Tests.Support;
using static TorchSharp.torch;

namespace Subclone.Tests.Gguf;

/// <summary>export --out: the model as an HF directory in another dtype and shard size.</summary>
public class HfExportTests
{
    [SharedFact]
    public void Export_writes_a_sharded_float16_directory_that_computes_the_same_function()
    {
        using var dir = new TempDir();
        string parent = SharedData.Fixture("llama-tiny-gqa");
        var result = CliRunner.Run("export", parent, "--out", dir["half"], "--dtype", "f16", "--shard-size", "40KB", "--json");
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("\"format\":\"hf\"", result.Out);
        Assert.True(Directory.GetFiles(dir["half"], "*.safetensors").Length > 1);
        Assert.True(File.Exists(Path.Combine(dir["half"], HfCheckpoint.IndexFile)));

        var loaded = HfCheckpoint.Load(dir["half"]);
        Assert.Equal(ScalarType.Float16, loaded.StoredDtype);
        using var _ = no_grad();
        using var ids = tensor(FixtureLogitsTests.InputIds("llama-tiny-gqa")).unsqueeze(0);
        using var expected = HfCheckpoint.Load(parent).Model.Forward(ids);
        using var actual = loaded.Model.Forward(ids);
        double diff = (expected - actual).abs().max().item<float>();
        Assert.True(diff > 0 && diff < 1e-2, $"float16 copy differs by {diff}");
    }
}
