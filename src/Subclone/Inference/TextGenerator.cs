using Subclone.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Subclone.Inference;

/// <summary>How to pick each next token.</summary>
public sealed record SamplingOptions(bool Greedy = false, double Temperature = 1.0, int TopK = 0, long Seed = 0);

/// <summary>
/// Autoregressive decoding for decoder models: a prefill over the prompt, then one token per step from the
/// <see cref="KvCache"/> (or, with <see cref="GenerationOptions.UseCache"/> false, a full forward over the context per token).
/// </summary>
public static class TextGenerator
{
    /// <summary>Appends up to <paramref name="maxNewTokens"/> tokens to <paramref name="prompt"/>, stopping after EOS.</summary>
    public static List<int> Generate(TransformerModel model, IReadOnlyList<int> prompt, int maxNewTokens, SamplingOptions sampling,
        int? eosId = null, GenerationOptions? options = null) =>
        GenerateBatch(model, [prompt], maxNewTokens, sampling, eosId, options)[0];

    /// <summary>
    /// Continues every prompt (of any lengths, decoded together as one left-padded batch) by up to
    /// <paramref name="maxNewTokens"/> tokens, each row stopping after its EOS. Each row's tokens are those it would get
    /// alone. <paramref name="onLogits"/> sees the next-token logits [B, vocab] before each pick.
    /// </summary>
    public static List<List<int>> GenerateBatch(TransformerModel model, IReadOnlyList<IReadOnlyList<int>> prompts, int maxNewTokens,
        SamplingOptions sampling, int? eosId = null, GenerationOptions? options = null, Action<Tensor>? onLogits = null)
    {
        options ??= new GenerationOptions();
        if (model is not CausalLanguageModel decoder)
            throw new ArgumentException($"{model.Config.ArchitectureName} is not a decoder; generate needs GPT-2 or Llama-family models");
        if (prompts.Count == 0 || prompts.Any(p => p.Count == 0)) throw new ArgumentException("the prompt is empty");
        foreach (var prompt in prompts) Validate(model.Config, prompt, maxNewTokens, sampling, options);
        var outputs = prompts.Select(p => new List<int>(p)).ToList();
        if (maxNewTokens == 0) return outputs;
        model.eval();
        using var inference = torch.inference_mode();
        using var generator = new torch.Generator((ulong)sampling.Seed);
        using Decoding decoding = options.UseCache
            ? new CachedDecoding(decoder, prompts, maxNewTokens, options.MaxContext)
            : new RecomputedDecoding(decoder, prompts, options.MaxContext);
        var done = new bool[prompts.Count];
        var logits = decoding.Start();
        for (int step = 0; ; step++)
        {
            onLogits?.Invoke(logits);
            var next = Pick(logits, sampling, generator);
            logits.Dispose();
            for (int b = 0; b < next.Length; b++)
            {
                if (done[b]) continue;
                outputs[b].Add(next[b]);
                done[b] = eosId is int eos && next[b] == eos;
            }
            if (step + 1 == maxNewTokens || done.All(d => d)) return outputs;
            logits = decoding.Next(next);
        }
    }

    /// <summary>
    /// Refuses what would otherwise be ignored or crash mid-way: a temperature that is not a finite number ≥ 0 (a negative
    /// one would quietly mean greedy, NaN throws from torch), a negative top-k, ids outside the vocabulary, more
    /// tokens than the model has positions for (it was never trained to continue past them) unless a context limit
    /// keeps the model within them or dynamic NTK scaling stretches them, and a limit the model cannot honour.
    /// </summary>
    public static void Validate(ModelConfig config, IReadOnlyList<int> prompt, int maxNewTokens, SamplingOptions sampling, GenerationOptions? options = null)
    {
        if (!(sampling.Temperature >= 0 && double.IsFinite(sampling.Temperature)))
            throw new UserInputException($"--temperature {sampling.Temperature}: must be a finite number ≥ 0 (0 is greedy)");
        if (sampling.TopK < 0) throw new UserInputException($"--top-k {sampling.TopK}: must not be negative (0: all tokens)");
        if (maxNewTokens < 0) throw new UserInputException($"--max-new-tokens {maxNewTokens}: must not be negative");
        foreach (int id in prompt)
            if (id < 0 || id >= config.Vocab) throw new UserInputException($"--prompt-ids: {id} is not a token id below the vocabulary size {config.Vocab}");
        long total = (long)prompt.Count + maxNewTokens;
        if (options?.MaxContext is int limit)
        {
            if (limit < 1 || limit > config.MaxPositions)
                throw new UserInputException($"--max-context {limit}: must be between 1 and the model's {config.MaxPositions} positions");
            // Past max_position_embeddings these frequencies follow the length itself, which eviction does not bound.
            if (RopeFrequencies.DependsOnLength(config.Rope) && total > config.MaxPositions)
                throw new UserInputException(
                    $"--max-context {limit}: rope_type '{config.Rope.RopeType}' changes its frequencies with the length, so the prompt's {prompt.Count} tokens plus {maxNewTokens} new ones may not exceed the model's {config.MaxPositions} positions");
            return;
        }
        // Dynamic NTK exists to run past max_position_embeddings: its frequencies follow the length from there.
        if (total > config.MaxPositions && config.Rope.RopeType != "dynamic")
            throw new UserInputException(
                $"--max-new-tokens {maxNewTokens}: the prompt's {prompt.Count} tokens plus {maxNewTokens} new ones exceed the model's {config.MaxPositions} positions (--max-context N keeps generating past them)");
    }

    /// <summary>Each row's next token: the argmax, or a sample from the tempered, top-k-cut distribution.</summary>
    static int[] Pick(Tensor logits, SamplingOptions sampling, torch.Generator generator)
    {
        using var scope = NewDisposeScope();
        if (sampling.Greedy || sampling.Temperature <= 0)
            return logits.argmax(-1).data<long>().Select(i => (int)i).ToArray();
        return Enumerable.Range(0, (int)logits.shape[0]).Select(b => Sample(logits[b], sampling, generator)).ToArray();
    }

    static int Sample(Tensor logits, SamplingOptions sampling, torch.Generator generator)
    {
        var scaled = logits / sampling.Temperature;
        if (sampling.TopK > 0 && sampling.TopK < scaled.shape[0])
        {
            var (values, _) = scaled.topk(sampling.TopK);
            scaled = scaled.masked_fill(scaled < values[-1], float.NegativeInfinity);
        }
        var probs = nn.functional.softmax(scaled, 0);
        return (int)probs.multinomial(1, generator: generator).item<long>();
    }
}
