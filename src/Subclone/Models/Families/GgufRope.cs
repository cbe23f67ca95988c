using Subclone.Checkpoints;
using TorchSharp;

namespace Subclone.Models.Families;

/// <summary>
/// Rotary settings as llama.cpp reads them: <c>{arch}.rope.dimension_count</c> (the rotated dims of a head),
/// <c>rope.freq_base</c>, linear and YaRN scaling as <c>rope.scaling.type</c> / <c>factor</c> /
/// <c>original_context_length</c>, Llama 3's per-frequency divisors as the <c>rope_freqs.weight</c> tensor (computed as
/// convert_hf_to_gguf does). How each HF rope type is carried:
/// <list type="bullet">
/// <item>yarn: llama.cpp's YaRN has HF's ramp (floor/ceil'd correction dims, beta_fast 32 / beta_slow 1) and HF's
/// default cos/sin factor 0.1·ln(factor) + 1; an explicit attention_factor, mscale / mscale_all_dim, other betas or
/// truncate false are refused.</item>
/// <item>dynamic: HF's dynamic NTK is the default RoPE for sequences up to max_position_embeddings (it grows the base
/// only beyond), and context_length is max_position_embeddings, so it is written as default RoPE with a warning:
/// exact within the trained context, not beyond it (llama.cpp has no per-length base).</item>
/// <item>longrope (Phi-3 only, <see cref="LongRopeTensors"/>): both factor lists as <c>rope_factors_long</c> /
/// <c>rope_factors_short</c>; llama.cpp takes the long ones when its context (n_ctx per sequence) exceeds
/// original_max_position_embeddings, HF when the sequence does, so they agree when both are on the same side (a
/// warning says so). HF's cos/sin factor √(1 + ln(factor)/ln(original)) is folded into the rotated q and k rows.</item>
/// </list>
/// </summary>
public static class GgufRope
{
    /// <summary>Rope types the Llama-like mappings export.</summary>
    public static readonly IReadOnlyList<string> Exported = ["default", "linear", "llama3", "yarn", "dynamic"];

    /// <summary>Refuses a rope type outside <paramref name="exported"/> (default: <see cref="Exported"/>) or YaRN settings llama.cpp does not read, naming the config field.</summary>
    public static void Check(ModelConfig c, string path, IReadOnlyList<string>? exported = null)
    {
        exported ??= Exported;
        var rope = c.Rope;
        if (!exported.Contains(rope.RopeType))
            throw new CheckpointException(path, $"field 'rope_scaling' type '{rope.RopeType}' is not exported to GGUF for {c.Family.Name} (llama.cpp computes it differently); exported: {string.Join(", ", exported)}");
        if (rope.RopeType != "yarn") return;
        if (rope.AttentionFactor is not null)
            throw new CheckpointException(path, "field 'rope_scaling.attention_factor' has no llama.cpp equivalent (its YaRN scales cos/sin by 0.1·ln(factor) + 1)");
        if (rope.Mscale is not null || rope.MscaleAllDim is not null)
            throw new CheckpointException(path, "field 'rope_scaling.mscale' / 'mscale_all_dim' is not exported to GGUF (llama.cpp's YaRN scales cos/sin by 0.1·ln(factor) + 1)");
        if (rope.BetaFast != 32 || rope.BetaSlow != 1)
            throw new CheckpointException(path, $"field 'rope_scaling.beta_fast' / 'beta_slow' ({rope.BetaFast}, {rope.BetaSlow}) is not exported to GGUF (llama.cpp's YaRN uses 32 and 1)");
        if (!rope.Truncate)
            throw new CheckpointException(path, "field 'rope_scaling.truncate' false has no llama.cpp equivalent (its YaRN floors and ceils the correction range)");
    }

    /// <summary>What the export of this rope cannot carry beyond some context, for the user.</summary>
    public static IEnumerable<string> Warnings(ModelConfig c)
    {
        if (c.Rope.RopeType == "dynamic")
            yield return $"rope_scaling 'dynamic' is written as default RoPE: exact up to max_position_embeddings ({c.MaxPositions}), "
                + "where HF's dynamic NTK is the default; llama.cpp does not grow the base beyond it";
        if (c.Rope.RopeType == "longrope" && c.Rope.OriginalMaxPositions is int original)
            yield return $"rope_scaling 'longrope': llama.cpp uses long_factor when its context (a multiple of 256) exceeds "
                + $"original_max_position_embeddings ({original}), HF when the sequence does: they agree on sequences longer than {original}, "
                + $"and on shorter ones only in a context of at most {original}";
    }

    /// <summary>Writes the rope keys for <paramref name="arch"/>.</summary>
    public static void Metadata(string arch, ModelConfig c, GgufMetadata m)
    {
        m.Add($"{arch}.rope.dimension_count", (uint)c.Rope.RotaryDim(c.HeadDim)).Add($"{arch}.rope.freq_base", (float)c.Rope.Theta);
        if (c.Rope.RopeType == "linear") m.Add($"{arch}.rope.scaling.type", "linear").Add($"{arch}.rope.scaling.factor", (float)c.Rope.Factor);
        if (c.Rope.RopeType == "yarn")
            m.Add($"{arch}.rope.scaling.type", "yarn").Add($"{arch}.rope.scaling.factor", (float)c.Rope.Factor)
                .Add($"{arch}.rope.scaling.original_context_length", (uint)(c.Rope.OriginalMaxPositions ?? c.MaxPositions));
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

    /// <summary>LongRoPE's divisors per rotated pair, as <c>rope_factors_long.weight</c> and <c>rope_factors_short.weight</c>.</summary>
    public static IEnumerable<(string Name, torch.Tensor Value)> LongRopeTensors(ModelConfig c)
    {
        if (c.Rope.RopeType != "longrope") yield break;
        yield return ("rope_factors_long.weight", torch.tensor(c.Rope.LongFactor.Select(x => (float)x).ToArray()));
        yield return ("rope_factors_short.weight", torch.tensor(c.Rope.ShortFactor.Select(x => (float)x).ToArray()));
    }

    /// <summary>HF's factor on cos and sin for rope types whose llama.cpp graph does not apply it itself (LongRoPE); else 1.</summary>
    public static double FoldedAttentionFactor(ModelConfig c)
    {
        if (c.Rope.RopeType != "longrope") return 1;
        var (invFreq, factor) = RopeFrequencies.Compute(c.Rope, c.HeadDim, c.MaxPositions);
        invFreq.Dispose();
        return factor;
    }

    /// <summary>
    /// Multiplies the rotated rows of each head in <paramref name="t"/> (rows: <paramref name="heads"/> blocks of head_dim,
    /// the first rotary_dim of each rotated) by <paramref name="factor"/>: RoPE is linear, so scaling a head's rotated
    /// q and k inputs scales its rotated outputs, which is HF's cos/sin factor.
    /// </summary>
    public static torch.Tensor ScaleRotatedRows(ModelConfig c, torch.Tensor t, int heads, double factor)
    {
        int rotated = c.Rope.RotaryDim(c.HeadDim);
        var perHead = Enumerable.Range(0, c.HeadDim).Select(i => i < rotated ? (float)factor : 1f).ToArray();
        using var scale = torch.tensor(Enumerable.Repeat(perHead, heads).SelectMany(x => x).ToArray());
        using var shaped = t.dim() == 2 ? scale.unsqueeze(1) : scale.alias();
        return t * shaped;
    }
}
