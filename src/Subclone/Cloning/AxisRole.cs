namespace Subclone.Cloning;

/// <summary>What the coordinates along one axis of a parameter are, and so how a clone map slices it.</summary>
public enum AxisRole
{
    /// <summary>Kept whole: vocabulary, positions, token types.</summary>
    Whole,
    /// <summary>Residual-stream dims (the global ranking).</summary>
    Residual,
    /// <summary>Query heads × head_dim.</summary>
    Heads,
    /// <summary>Key/value heads × head_dim.</summary>
    KvHeads,
    /// <summary>GPT-2's fused c_attn output: [q | k | v], each heads × head_dim.</summary>
    PackedQkv,
    /// <summary>FFN neurons of the block.</summary>
    Ffn,
    /// <summary>Phi-3's qkv_proj output (temporary until composable roles): [q | k | v], heads·hd, kv·hd, kv·hd.</summary>
    PackedQkvGqa,
    /// <summary>Phi-3's gate_up_proj output (temporary): [gate; up], F each.</summary>
    PackedGateUp,
    /// <summary>GPT-NeoX's query_key_value output (temporary): [heads, 3, head_dim].</summary>
    PerHeadQkv,
}

/// <summary>A parameter's axis roles, and which axis (if any) is a linear layer's input, the one scaling follows.</summary>
public sealed record ParameterAxes(AxisRole[] Axes, int? InputAxis = null);
