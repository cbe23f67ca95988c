using System.Text.Json.Nodes;
using Subclone.Tests.Cli;
using Subclone.Tests.Support;

namespace Subclone.Tests.Moe;

/// <summary>Sizing MoE parents and children from their config.json alone.</summary>
public class MoeInfoTests
{
    [SharedTheory]
    [InlineData("Qwen--Qwen3-30B-A3B.json", "qwen3_moe", 30_532_122_624L, 128, 8, 48)]
    [InlineData("mistralai--Mixtral-8x7B-v0.1.json", "mixtral", 46_702_792_704L, 8, 2, 32)]
    public void Info_on_a_bare_config_gives_the_published_parameter_count(string file, string modelType, long published, int experts, int topK, int sparse)
    {
        var result = CliRunner.Run("info", Path.Combine(SharedData.Root, "configs", file), "--json");
        Assert.True(result.ExitCode == 0, result.Error);
        var info = JsonNode.Parse(result.Out)!;
        Assert.Equal(modelType, (string?)info["model_type"]);
        Assert.Equal(published, (long)info["params"]!);
        Assert.Equal((experts, topK, sparse), ((int)info["experts"]!, (int)info["top_k"]!, (int)info["sparse_layers"]!));
        Assert.True((long)info["active_params"]! < published / 3, "a token uses a fraction of the experts");
    }
}
