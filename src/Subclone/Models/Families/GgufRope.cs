using Subclone.Checkpoints;
using TorchSharp;

namespace Subclone.Models.Families;

/// <summary>
/// Rotary settings as llama.cpp reads them: <c>{arch}.rope.dimension_count</c> (the rotated dims of a head),
/// <c>rope.freq_base</c>, linear scaling as <c>rope.scaling.type</c>/<c>factor</c>, and Llama 3's per-frequency
/// divisors as the <c>rope_freqs.weight</c> tensor (convert_hf_to_gguf computes them the same way). Rope types llama.cpp
/// computes differently from Hugging Face (dynamic NTK per forward length, YaRN's and LongRoPE's attention factors
/// and per-forward factor choice) are refused.
/// </summary>
public static class GgufRope
{
    /// <summary>Rope types every mapping exports.</summary>
    public static readonly IReadOnlyList<string> Exported = ["default", "linear", "llama3"];

    /// <summary>Refuses a rope type outside <see cref="Exported"/>, naming the config field.</summary>
    public static void Check(ModelConfig c, string path)
    {
        if (!Exported.Contains(c.Rope.RopeType))
            throw new CheckpointException(path, $"field 'rope_scaling' type '{c.Rope.RopeType}' is not exported to GGUF (llama.cpp computes it differently); exported: {string.Join(", ", Exported)}");
    }

    /// <summary>Writes the rope keys for <paramref name="arch"/>.</summary>
    public static void Metadata(string arch, ModelConfig c, GgufMetadata m)
    {
        m.Add($"{arch}.rope.dimension_count", (uint)c.Rope.RotaryDim(c.HeadDim)).Add($"{arch}.rope.freq_base", (float)c.Rope.Theta);
        if (c.Rope.RopeType == "linear") m.Add($"{arch}.rope.scaling.type", "linear").Add($"{arch}.rope.scaling.factor", (float)c.Rope.Factor);
    }

    /// <summary>Llama 3's <c>rope_freqs.weight</c>: plain inverse frequencies divided by Llama 3's, one per rotated pair.</summary>
    public static IEnumerable<(string Name, torch.Tensor Value)> Tensors(ModelConfig c)
    {
        if (c.Rope.RopeType != "llama3") yield break;
        int dim = c.Rope.RotaryDim(c.HeadDim);
        var (scaled, _) = RopeFrequencies.Compute(c.Rope, c.HeadDim, c.MaxPositions);
        using var plain = RopeFrequencies.Plain(c.Rope.Theta, dim);
        using (scaled) yield return ("rope_freqs.weight", plain / scaled);
    }
}
