using System.Text.Json.Nodes;
using Subclone.Checkpoints;
using Subclone.Inference;
using Subclone.Models;
using Subclone.Tests.Models;
using Subclone.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Subclone.Tests.Inference;

/// <summary>
/// Generation from the KV cache computes what recomputing the whole context computes: the same greedy tokens and the
/// same next-token logits (within 1e-5) for every decoder family, past sliding windows, across a context limit's
/// eviction or re-read, and for a batch of prompts of different lengths as for each prompt alone. The models run in
/// float64: in float32 a one-token step's matrix-vector products round differently from the full forward's matrix
/// products (about 3e-6 on logits of magnitude 10 at the first step, growing to 4e-5 over 20 steps), which would hide
/// a real discrepancy of that size; in float64 the two agree to 1e-13 (Gemma's float32 softmax: 1e-6), so 1e-5
/// catches any masking, position or cache error. Float32 decoding is checked too, at the fixtures' 1e-4.
/// </summary>
public sealed class CachedGenerationTests : IDisposable
{
    const double Tolerance = 1e-5;
    readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    public static TheoryData<string> Decoders => new()
    {
        "gpt2-tiny", "gpt2-tiny-prefixed", "hf-tiny-random-gpt2", "llama-tiny-gqa", "llama-tiny-tied-bf16", "qwen3-tiny",
        "olmo2-tiny", "llama3-tiny-rope-scaling", "qwen2-tiny-yarn", "llama-tiny-dynamic-rope", "gemma2-tiny", "gemma3-tiny",
        "phi3-tiny", "phi3-tiny-longrope", "phi3-tiny-partial-rotary", "gptneox-tiny", "mixtral-tiny", "mixtral-tiny-fused",
        "qwen3moe-tiny", "olmoe-tiny",
    };

    /// <summary>Greedy decoding with its per-step next-token logits [steps, B, vocab].</summary>
    static (List<List<int>> Tokens, Tensor Logits) Decode(TransformerModel model, IReadOnlyList<IReadOnlyList<int>> prompts, int steps, GenerationOptions options)
    {
        var logits = new List<Tensor>();
        var tokens = TextGenerator.GenerateBatch(model, prompts, steps, new SamplingOptions(Greedy: true), options: options,
            onLogits: l => logits.Add(l.clone().DetachFromDisposeScope()));
        return (tokens, stack(logits));
    }

    static void AssertSame((List<List<int>> Tokens, Tensor Logits) expected, (List<List<int>> Tokens, Tensor Logits) actual, string what,
        double tolerance = Tolerance)
    {
        Assert.Equal(expected.Tokens, actual.Tokens);
        Assert.Equal(expected.Logits.shape, actual.Logits.shape);
        double diff = MaxDiff(expected.Logits, actual.Logits);
        Assert.True(diff < tolerance, $"{what}: max abs logit difference {diff}");
    }

    /// <summary>A fixture's model in float64.</summary>
    static TransformerModel Load(string directory)
    {
        var model = HfCheckpoint.Load(directory).Model;
        model.to(ScalarType.Float64);
        return model;
    }

    static double MaxDiff(Tensor a, Tensor b) => (a - b).abs().max().to_type(ScalarType.Float64).item<double>();

    static List<int> Prompt(string fixture, int length) => FixtureLogitsTests.InputIds(fixture).Take(length).Select(i => (int)i).ToList();

    [SharedTheory]
    [MemberData(nameof(Decoders))]
    public void Cached_greedy_decoding_matches_recomputing_the_context(string fixture)
    {
        // 10 prompt tokens and 22 new ones: past Gemma's 8-token window, LongRoPE's 16-token original context
        // (phi3-tiny-longrope switches frequencies mid-way) and dynamic NTK's 16 positions.
        var prompt = Prompt(fixture, 10);
        var model = Load(SharedData.Fixture(fixture));
        var uncached = Decode(model, [prompt], 22, new GenerationOptions(UseCache: false));
        var cached = Decode(model, [prompt], 22, new GenerationOptions());
        AssertSame(uncached, cached, fixture);
        Assert.Equal(32, cached.Tokens[0].Count);

        var float32 = HfCheckpoint.Load(SharedData.Fixture(fixture)).Model;
        AssertSame(Decode(float32, [prompt], 22, new GenerationOptions(UseCache: false)), Decode(float32, [prompt], 22, new GenerationOptions()),
            fixture + " (float32)", tolerance: 1e-4);
    }

    /// <summary>The fixture's weights under an edited config.json (the safetensors file linked, not copied).</summary>
    string Edited(string fixture, Action<JsonObject> edit)
    {
        string dir = _temp[fixture + "-" + Guid.NewGuid().ToString("N")[..6]];
        Directory.CreateDirectory(dir);
        foreach (var file in Directory.GetFiles(SharedData.Fixture(fixture)))
            if (Path.GetFileName(file) != "config.json") File.CreateSymbolicLink(Path.Combine(dir, Path.GetFileName(file)), file);
        var config = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(SharedData.Fixture(fixture), "config.json")))!;
        edit(config);
        File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJsonString());
        return dir;
    }

    static void AsMistral(JsonObject config, int window)
    {
        config["model_type"] = "mistral";
        config["architectures"] = new JsonArray("MistralForCausalLM");
        config["sliding_window"] = window;
    }

    [SharedFact]
    public void A_mistral_sliding_window_shorter_than_the_text_is_cached_exactly()
    {
        var model = Load(Edited("llama-tiny-gqa", c => AsMistral(c, 5)));
        var prompt = Prompt("llama-tiny-gqa", 9);
        AssertSame(Decode(model, [prompt], 16, new GenerationOptions(UseCache: false)), Decode(model, [prompt], 16, new GenerationOptions()), "mistral window 5");
    }

    /// <summary>Evicting all but the last N keys is a sliding window of N over the whole text: the same weights as a
    /// Mistral with sliding_window N, decoded by the ordinary uncached forward, are the reference.</summary>
    [SharedTheory]
    [InlineData(6)]
    [InlineData(1)]
    public void A_context_limit_on_a_rotary_model_equals_a_sliding_window_of_that_size(int limit)
    {
        var llama = Load(SharedData.Fixture("llama-tiny-gqa"));
        var mistral = Load(Edited("llama-tiny-gqa", c => AsMistral(c, limit)));
        var prompt = Prompt("llama-tiny-gqa", 9);
        var reference = Decode(mistral, [prompt], 25, new GenerationOptions(UseCache: false));
        AssertSame(reference, Decode(llama, [prompt], 25, new GenerationOptions(MaxContext: limit)), $"max-context {limit}, cached");
        AssertSame(reference, Decode(llama, [prompt], 25, new GenerationOptions(UseCache: false, MaxContext: limit)), $"max-context {limit}, recomputed");
    }

    [SharedFact]
    public void A_context_limit_on_gemma_2_equals_every_layer_sliding_by_it()
    {
        var gemma = Load(SharedData.Fixture("gemma2-tiny"));
        var allSliding = Load(Edited("gemma2-tiny", c =>
        {
            c["sliding_window"] = 5;
            c["layer_types"] = new JsonArray(Enumerable.Range(0, gemma.Config.Layers).Select(_ => (JsonNode?)"sliding_attention").ToArray());
        }));
        var prompt = Prompt("gemma2-tiny", 7);
        AssertSame(Decode(allSliding, [prompt], 20, new GenerationOptions(UseCache: false)),
            Decode(gemma, [prompt], 20, new GenerationOptions(MaxContext: 5)), "gemma2 max-context 5");
    }

    /// <summary>GPT-2's learned positions end at n_positions (64 here): with a limit the window restarts on its last
    /// half, in the cache as in the recomputed reference, and generation runs past the model's positions.</summary>
    [SharedFact]
    public void A_context_limit_on_gpt2_rereads_the_last_half_window_cached_or_not()
    {
        var model = Load(SharedData.Fixture("gpt2-tiny"));
        var prompt = Prompt("gpt2-tiny", 12);
        var uncached = Decode(model, [prompt], 70, new GenerationOptions(UseCache: false, MaxContext: 10));
        var cached = Decode(model, [prompt], 70, new GenerationOptions(MaxContext: 10));
        AssertSame(uncached, cached, "gpt2 max-context 10");
        Assert.Equal(82, cached.Tokens[0].Count);
        // The limit binds: without it the same steps read more context and pick other logits.
        var unlimited = Decode(model, [prompt], 30, new GenerationOptions());
        double diff = MaxDiff(unlimited.Logits, cached.Logits.narrow(0, 0, 30));
        Assert.True(diff > 1e-3, $"the limit changed nothing ({diff})");
    }

    [SharedTheory]
    [InlineData("gpt2-tiny", null)]
    [InlineData("llama-tiny-gqa", null)]
    [InlineData("gemma2-tiny", null)]
    [InlineData("gemma3-tiny", null)]
    [InlineData("phi3-tiny-partial-rotary", null)]
    [InlineData("gptneox-tiny", null)]
    [InlineData("qwen3moe-tiny", null)]
    [InlineData("olmo2-tiny", null)]
    [InlineData("llama-tiny-gqa", 6)]
    [InlineData("gpt2-tiny", 8)]
    public void A_batch_of_prompts_of_different_lengths_decodes_as_each_prompt_alone(string fixture, int? limit)
    {
        var model = Load(SharedData.Fixture(fixture));
        var ids = FixtureLogitsTests.InputIds(fixture).Select(i => (int)i).ToList();
        IReadOnlyList<int>[] prompts = [ids.GetRange(0, 3), ids.GetRange(5, 9), ids.GetRange(2, 6)];
        var options = new GenerationOptions(MaxContext: limit);
        var batched = Decode(model, prompts, 14, options);
        for (int b = 0; b < prompts.Length; b++)
        {
            var alone = Decode(model, [prompts[b]], 14, options);
            Assert.Equal(alone.Tokens[0], batched.Tokens[b]);
            double diff = MaxDiff(alone.Logits.select(1, 0), batched.Logits.select(1, b));
            Assert.True(diff < Tolerance, $"{fixture} row {b}: max abs logit difference {diff}");
            var recomputed = Decode(model, [prompts[b]], 14, options with { UseCache = false });
            Assert.Equal(recomputed.Tokens[0], batched.Tokens[b]);
        }
    }

    [SharedFact]
    public void A_context_limit_the_model_cannot_honour_is_refused()
    {
        var llama = Load(SharedData.Fixture("llama-tiny-gqa"));
        var longrope = Load(SharedData.Fixture("phi3-tiny-longrope"));
        int[] prompt = [1, 2, 3];
        var greedy = new SamplingOptions(Greedy: true);
        Assert.Contains("--max-context 0", Assert.Throws<UserInputException>(() => TextGenerator.Generate(llama, prompt, 4, greedy, options: new(MaxContext: 0))).Message);
        Assert.Contains("128 positions", Assert.Throws<UserInputException>(() => TextGenerator.Generate(llama, prompt, 4, greedy, options: new(MaxContext: 129))).Message);
        Assert.Contains("rope_type 'longrope'", Assert.Throws<UserInputException>(() => TextGenerator.Generate(longrope, prompt, 200, greedy, options: new(MaxContext: 8))).Message);
        Assert.Contains("--max-context", Assert.Throws<UserInputException>(() => TextGenerator.Generate(llama, prompt, 200, greedy)).Message);
        // Within a limit a rotary model continues past its positions.
        Assert.Equal(203, TextGenerator.Generate(llama, prompt, 200, greedy, options: new(MaxContext: 16)).Count);
    }

    [SharedFact]
    public void The_cli_generates_past_gpt2s_positions_with_a_context_limit_and_without_the_cache_alike()
    {
        string[] args = ["generate", SharedData.Fixture("gpt2-tiny"), "--prompt-ids", "5,6,7", "--max-new-tokens", "70", "--greedy", "--json"];
        var cached = Subclone.Tests.Cli.CliRunner.Run([.. args, "--max-context", "16"]);
        var uncached = Subclone.Tests.Cli.CliRunner.Run([.. args, "--max-context", "16", "--no-cache"]);
        Assert.Equal(0, cached.ExitCode);
        Assert.Equal(cached.Out, uncached.Out);
        Assert.Equal(73, JsonNode.Parse(cached.Out)!["ids"]!.AsArray().Count);
        var refused = Subclone.Tests.Cli.CliRunner.Run([.. args, "--max-context", "65"]);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("--max-context 65", refused.Error);
    }
}
