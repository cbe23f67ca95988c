using System.Text.Json.Nodes;
using Subclone.Checkpoints;
using Subclone.Models;
using static TorchSharp.torch;

namespace Subclone.Fuzz;

/// <summary>
/// A model directory whose config.json is the input, beside fixed weights (a tiny GPT-2, <see cref="Gpt2Config"/>):
/// the config is parsed and validated, the parameters it implies are checked against the weight file's header and,
/// when they match, the model is built and loaded.
/// </summary>
internal static class ConfigTarget
{
    public static FuzzTarget Target { get; } = new("config", "config.json (beside a fixed tiny GPT-2 model.safetensors)", Run);

    /// <summary>The config the fixed weights were made for: the seed the fuzzer starts from that loads.</summary>
    public static JsonObject Gpt2Config() => new()
    {
        ["model_type"] = "gpt2",
        ["architectures"] = new JsonArray("GPT2LMHeadModel"),
        ["n_embd"] = 4, ["n_head"] = 2, ["n_layer"] = 1, ["n_positions"] = 4, ["n_inner"] = 8, ["vocab_size"] = 8,
        ["activation_function"] = "gelu_new", ["layer_norm_epsilon"] = 1e-5, ["tie_word_embeddings"] = true,
    };

    // Made once per process: building a model per run would be most of the run's time.
    static readonly Lazy<byte[]> Weights = new(MakeWeights);

    static bool Run(byte[] input)
    {
        using var scratch = new Scratch();
        scratch.Write(HfCheckpoint.ConfigFile, input);
        scratch.Write(HfCheckpoint.SingleFile, Weights.Value);
        return Refusal.Accepts(scratch, () =>
        {
            using var model = HfCheckpoint.Load(scratch.Directory).Model;
        });
    }

    static byte[] MakeWeights()
    {
        using var scratch = new Scratch();
        var config = ModelConfig.Parse(Gpt2Config(), "config.json");
        using var model = TransformerModel.Create(config, seed: 0);
        HfCheckpoint.Save(model, scratch["model"], ScalarType.Float32);
        return File.ReadAllBytes(Path.Combine(scratch["model"], HfCheckpoint.SingleFile));
    }
}
