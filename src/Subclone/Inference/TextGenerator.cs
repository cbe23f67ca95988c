using Subclone.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Subclone.Inference;

/// <summary>How to pick each next token.</summary>
public sealed record SamplingOptions(bool Greedy = false, double Temperature = 1.0, int TopK = 0, long Seed = 0);

/// <summary>Autoregressive decoding for decoder models: one full forward per token over the (windowed) context.</summary>
public static class TextGenerator
{
    /// <summary>Appends up to <paramref name="maxNewTokens"/> tokens to <paramref name="prompt"/>, stopping after EOS.</summary>
    public static List<int> Generate(TransformerModel model, IReadOnlyList<int> prompt, int maxNewTokens, SamplingOptions sampling, int? eosId = null)
    {
        if (!model.Config.IsDecoder) throw new ArgumentException($"{model.Config.ArchitectureName} is not a decoder; generate needs GPT-2 or Llama-family models");
        if (prompt.Count == 0) throw new ArgumentException("the prompt is empty");
        Validate(model.Config, prompt, maxNewTokens, sampling);
        model.eval();
        var ids = new List<int>(prompt);
        var generator = new torch.Generator((ulong)sampling.Seed);
        using var _ = no_grad();
        for (int step = 0; step < maxNewTokens; step++)
        {
            using var scope = NewDisposeScope();
            int start = Math.Max(0, ids.Count - model.Config.MaxPositions);
            var context = tensor(ids.Skip(start).Select(i => (long)i).ToArray()).unsqueeze(0);
            var logits = model.Forward(context)[0, -1];
            int next = sampling.Greedy || sampling.Temperature <= 0 ? (int)logits.argmax().item<long>() : Sample(logits, sampling, generator);
            ids.Add(next);
            if (eosId is int eos && next == eos) break;
        }
        return ids;
    }

    /// <summary>
    /// Refuses what would otherwise be ignored or crash mid-way: a temperature that is not a finite number ≥ 0 (a negative
    /// one would quietly mean greedy, NaN throws from torch), a negative top-k, ids outside the vocabulary, and more
    /// tokens than the model has positions for (it was never trained to continue past them).
    /// </summary>
    public static void Validate(ModelConfig config, IReadOnlyList<int> prompt, int maxNewTokens, SamplingOptions sampling)
    {
        if (!(sampling.Temperature >= 0 && double.IsFinite(sampling.Temperature)))
            throw new UserInputException($"--temperature {sampling.Temperature}: must be a finite number ≥ 0 (0 is greedy)");
        if (sampling.TopK < 0) throw new UserInputException($"--top-k {sampling.TopK}: must not be negative (0: all tokens)");
        if (maxNewTokens < 0) throw new UserInputException($"--max-new-tokens {maxNewTokens}: must not be negative");
        foreach (int id in prompt)
            if (id < 0 || id >= config.Vocab) throw new UserInputException($"--prompt-ids: {id} is not a token id below the vocabulary size {config.Vocab}");
        if ((long)prompt.Count + maxNewTokens > config.MaxPositions)
            throw new UserInputException(
                $"--max-new-tokens {maxNewTokens}: the prompt's {prompt.Count} tokens plus {maxNewTokens} new ones exceed the model's {config.MaxPositions} positions");
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
