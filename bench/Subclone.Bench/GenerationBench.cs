using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Subclone.Checkpoints.Llama2c;
using Subclone.Gguf;
using Subclone.Inference;
using Subclone.Models;
using Subclone.Reference;
using static TorchSharp.torch;

namespace Subclone.Bench;

/// <summary>
/// `--inference`: greedy generation tokens/s of Subclone with the KV cache, without it, and of llama.cpp (through
/// LLamaSharp, the same thread count) on the same weights, read from Subclone's own GGUF export (float32), in one
/// process. Each row checks that llama.cpp's greedy tokens are Subclone's. `--skip-long-uncached` leaves out the
/// uncached runs of the 124M models beyond 128 tokens (each would take about an hour on one thread).
/// </summary>
static class GenerationBench
{
    static readonly int[] Prompt = [1, 403, 407, 261, 378];

    public static string Run(string machine, bool skipLongUncached)
    {
        var report = new StringBuilder();
        report.AppendLine(machine);
        report.AppendLine();
        string table = "| model | params | new tokens | Subclone cached (tok/s) | Subclone uncached (tok/s) | llama.cpp (tok/s) | cached / llama.cpp | same tokens |";
        report.AppendLine(table).AppendLine("|---|---|---|---|---|---|---|---|");
        Console.Error.WriteLine(table);
        string stories = Path.Combine(AppContext.BaseDirectory, "../../../../../../shared/data/stories260K/stories260K.bin");
        var models = new List<(string Name, Func<TransformerModel> Create)>();
        if (File.Exists(stories)) models.Add(("stories260K", () => Llama2cConfig.Load(stories)));
        models.Add(("GPT-2 124M-shaped (random)", () => TransformerModel.Create(Gpt2(), seed: 0)));
        models.Add(("Llama 124M-shaped (random)", () => TransformerModel.Create(Llama(), seed: 0)));
        int threads = get_num_threads();
        foreach (var (name, create) in models)
        {
            var model = create();
            string gguf = Path.Combine(Path.GetTempPath(), $"subclone-bench-{Environment.ProcessId}.gguf");
            GgufExporter.Export(model, Path.GetTempPath(), null, gguf, GgufTensorType.F32, overwrite: true);
            using var llama = new LlamaCpp(gguf, context: (uint)model.Config.MaxPositions, threads);
            File.Delete(gguf);
            foreach (int wanted in new[] { 16, 128, 512 })
            {
                int steps = Math.Min(wanted, model.Config.MaxPositions - Prompt.Length);
                // Subclone and llama.cpp alternate, best of two each up to 128 tokens, so a burst of load from other
                // work on a shared machine does not land on one side only.
                int repeats = steps <= 128 ? 2 : 1;
                double cachedRate = 0, llamaRate = 0;
                List<int> tokens = [], llamaTokens = [];
                for (int r = 0; r < repeats; r++)
                {
                    (double rate, tokens) = Subclone(model, steps, useCache: true);
                    cachedRate = Math.Max(cachedRate, rate);
                    (rate, llamaTokens) = Time(llama, Prompt, steps);
                    llamaRate = Math.Max(llamaRate, rate);
                }
                double? uncachedRate = skipLongUncached && steps > 128 && model.ParameterCount() > 10_000_000 ? null : Subclone(model, steps, useCache: false).Rate;
                int agree = tokens.Zip(llamaTokens).TakeWhile(p => p.First == p.Second).Count();
                string row = string.Create(CultureInfo.InvariantCulture,
                    $"| {name} | {model.ParameterCount():N0} | {steps} | {cachedRate:F1} | {(uncachedRate is double u ? u.ToString("F1", CultureInfo.InvariantCulture) : "not run")} | {llamaRate:F1} | {cachedRate / llamaRate:F2} | {(agree == steps ? "yes" : $"first {agree} of {steps}")} |");
                report.AppendLine(row);
                Console.Error.WriteLine(row);
            }
            model.Dispose();
        }
        return report.ToString();
    }

    /// <summary>The cached step's cost on stories260K alone (where per-operation overhead, not matmuls, is the cost):
    /// tokens/s of 500 cached tokens, best of 3.</summary>
    public static string Profile()
    {
        string stories = Path.Combine(AppContext.BaseDirectory, "../../../../../../shared/data/stories260K/stories260K.bin");
        var model = Llama2cConfig.Load(stories);
        double best = 0;
        for (int i = 0; i < 3; i++) best = Math.Max(best, Subclone(model, 500, useCache: true).Rate);
        return string.Create(CultureInfo.InvariantCulture, $"stories260K cached: {best:F1} tokens/s ({1000 / best:F2} ms per token)");
    }

    /// <summary>Tokens/s of one greedy generation of <paramref name="steps"/> tokens after a warm-up, and the tokens.</summary>
    static (double Rate, List<int> Tokens) Subclone(TransformerModel model, int steps, bool useCache)
    {
        var options = new GenerationOptions(UseCache: useCache);
        TextGenerator.Generate(model, Prompt, Math.Min(steps, 4), new SamplingOptions(Greedy: true), options: options);  // warm up
        var watch = Stopwatch.StartNew();
        var output = TextGenerator.Generate(model, Prompt, steps, new SamplingOptions(Greedy: true), options: options);
        double seconds = watch.Elapsed.TotalSeconds;
        return (steps / seconds, output.Skip(Prompt.Length).ToList());
    }

    static ModelConfig Gpt2() => ModelConfig.Parse(new JsonObject
    {
        ["model_type"] = "gpt2", ["n_embd"] = 768, ["n_layer"] = 12, ["n_head"] = 12, ["vocab_size"] = 50257,
        ["n_positions"] = 1024, ["tie_word_embeddings"] = true,
    }, "bench");

    /// <summary>GPT-2 small's width, depth and heads in Llama's layout: SwiGLU FFN 2048, vocab 32000, untied head.</summary>
    static ModelConfig Llama() => ModelConfig.Parse(new JsonObject
    {
        ["model_type"] = "llama", ["architectures"] = new JsonArray("LlamaForCausalLM"), ["hidden_size"] = 768,
        ["num_hidden_layers"] = 12, ["num_attention_heads"] = 12, ["num_key_value_heads"] = 12, ["intermediate_size"] = 2048,
        ["vocab_size"] = 32000, ["max_position_embeddings"] = 1024, ["rms_norm_eps"] = 1e-5, ["hidden_act"] = "silu",
        ["tie_word_embeddings"] = false,
    }, "bench");

    /// <summary>llama.cpp's greedy decoding rate (tokens/s) after a short warm-up, and its tokens.</summary>
    static (double Rate, List<int> Tokens) Time(LlamaCpp llama, IReadOnlyList<int> prompt, int steps)
    {
        llama.Greedy(prompt, Math.Min(steps, 4));  // warm up
        var watch = Stopwatch.StartNew();
        var tokens = llama.Greedy(prompt, steps);
        return (steps / watch.Elapsed.TotalSeconds, tokens);
    }
}
