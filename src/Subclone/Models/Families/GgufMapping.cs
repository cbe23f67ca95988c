using System.Text.RegularExpressions;
using TorchSharp;

namespace Subclone.Models.Families;

/// <summary>
/// How a family is written as GGUF, the way llama.cpp's convert_hf_to_gguf.py writes it: the GGUF architecture
/// name, one rule per HF module (its GGUF name and any re-layout of its tensors) and the architecture metadata.
/// A family's mapping is data beside its descriptor (<see cref="ModelFamily.Gguf"/>); the exporter has no family tests.
/// </summary>
public sealed record GgufMapping
{
    /// <summary>general.architecture, and the prefix of the architecture keys (llama, gpt2, qwen2).</summary>
    public required string Architecture { get; init; }
    /// <summary>HF module → GGUF tensor rules; a parameter no rule matches is a bug in the mapping.</summary>
    public required IReadOnlyList<GgufTensorRule> Tensors { get; init; }
    /// <summary>Writes the <c>{arch}.*</c> keys for a config (keys without the architecture prefix are not allowed here).</summary>
    public required Action<ModelConfig, GgufMetadata> Metadata { get; init; }
    /// <summary>Refuses, with a CheckpointException naming the field, a config this architecture cannot express in llama.cpp.</summary>
    public Action<ModelConfig, string>? Validate { get; init; }
    /// <summary>Tensors computed from the config rather than taken from the model (Llama 3's rope_freqs.weight), written last.</summary>
    public Func<ModelConfig, IEnumerable<(string Name, torch.Tensor Value)>>? ExtraTensors { get; init; }
    /// <summary>With tied embeddings, also write the token embedding as <c>output.weight</c> (GPT-2's converter does).</summary>
    public bool WritesTiedOutput { get; init; }
    /// <summary>tokenizer.ggml.pre for a GPT-2-style BPE vocabulary (vocab.json + merges.txt) of this family.</summary>
    public string BpePreTokenizer { get; init; } = "gpt-2";

    /// <summary>
    /// The GGUF name and re-layout of HF parameter <paramref name="name"/>, or null when no rule matches. A rule whose HF
    /// name has an <c>{expert}</c> part maps every expert to one stacked tensor; <c>Expert</c> says which slice this is.
    /// </summary>
    public (string Name, GgufTensorRule Rule, int? Expert)? Map(string name)
    {
        foreach (var rule in Tensors)
            if (rule.Pattern.Match(name) is { Success: true } m)
                return (rule.Gguf.Replace(ParameterRow.LayerPlaceholder, m.Groups["layer"].Value, StringComparison.Ordinal) + m.Groups["suffix"].Value, rule,
                    m.Groups["expert"].Success ? int.Parse(m.Groups["expert"].Value, System.Globalization.CultureInfo.InvariantCulture) : null);
        return null;
    }
}

/// <summary>
/// One HF module (e.g. <c>model.layers.{layer}.self_attn.q_proj</c>) and its GGUF name (<c>blk.{layer}.attn_q</c>);
/// its <c>.weight</c> and <c>.bias</c> both follow the rule. <paramref name="Relayout"/> turns the HF tensor into the
/// layout llama.cpp expects (a Conv1D transpose, Llama's q/k row permutation, Gemma's norm + 1); null keeps it. An
/// <c>{expert}</c> in <paramref name="Hf"/> stacks the experts' tensors into one GGUF tensor [experts, …] (ffn_*_exps),
/// in expert order, each slice re-laid out first.
/// </summary>
public sealed record GgufTensorRule(string Hf, string Gguf, Func<ModelConfig, torch.Tensor, torch.Tensor>? Relayout = null)
{
    /// <summary>Stored as float32 whatever the export dtype (convert_hf_to_gguf keeps position embeddings so).</summary>
    public bool AlwaysF32 { get; init; }

    internal Regex Pattern { get; } = new("^" + Regex.Escape(Hf).Replace(Regex.Escape(ParameterRow.LayerPlaceholder), @"(?<layer>\d+)")
        .Replace(Regex.Escape(ParameterRow.ExpertPlaceholder), @"(?<expert>\d+)") + @"(?<suffix>\.weight|\.bias|)$", RegexOptions.CultureInvariant);
}
