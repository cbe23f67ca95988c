using Subclone.Checkpoints;
using Subclone.Tests.Support;
using static TorchSharp.torch;

namespace Subclone.Tests.Hub;

/// <summary>Small Hugging Face model directories built in the test, served by <see cref="FakeHub"/>.</summary>
internal static class HubTestModels
{
    public const string TokenizerConfig = "{\"model_max_length\": 8}\n";
    public const string GenerationConfig = "{\"bos_token_id\": 0, \"eos_token_id\": 0}\n";

    /// <summary>A random tiny GPT-2 with a tokenizer_config.json and a generation_config.json (the other companion
    /// files are absent, so both present and missing optional files occur), saved to <paramref name="directory"/>;
    /// returns its files by name.</summary>
    public static Dictionary<string, byte[]> Gpt2(string directory, long maxShardBytes = 5_000_000_000)
    {
        HfCheckpoint.Save(TinyModels.Gpt2(), directory, ScalarType.Float32, maxShardBytes: maxShardBytes,
            extraFiles: [("tokenizer_config.json", TokenizerConfig), ("generation_config.json", GenerationConfig)]);
        return Files(directory);
    }

    public static Dictionary<string, byte[]> Files(string directory) =>
        Directory.GetFiles(directory).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
}
