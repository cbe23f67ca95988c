using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Subclone.Models.Families;

/// <summary>
/// Everything Subclone knows about one model family, in one place: the config keys, the parameter table, the
/// module classes and the few named properties the rest of the code asks instead of testing the family. One
/// static <c>Descriptor</c> per family lives in <c>Families/&lt;Name&gt;Family.cs</c>; a variant states only its delta
/// with <c>with { … }</c>. Register a new family in <see cref="ModelFamilies.All"/>.
/// </summary>
public sealed partial record ModelFamily
{
    /// <summary>The family's name in messages and docs (Llama, GPT-2).</summary>
    public required string Name { get; init; }
    /// <summary>config.json model_type values this descriptor parses.</summary>
    public required IReadOnlyList<string> ModelTypes { get; init; }
    /// <summary>The Hugging Face class written to a config without <c>architectures</c>, e.g. LlamaForCausalLM.</summary>
    public required string ClassName { get; init; }
    /// <summary>Decoder, encoder or image classifier.</summary>
    public required FamilyKind Kind { get; init; }
    /// <summary>The config keys of the neutral shape fields.</summary>
    public required ConfigKeys Keys { get; init; }
    /// <summary>The parameter table, in the module's state_dict order.</summary>
    public required IReadOnlyList<ParameterRow> Parameters { get; init; }
    /// <summary>The name prefix of block parameters, with <c>{layer}</c>: <c>model.layers.{layer}.</c>.</summary>
    public required string BlockPrefix { get; init; }

    /// <summary>Reads the family's shape fields from config.json (the family passed is the one being parsed, so a
    /// variant's descriptor is what the config records).</summary>
    public required Func<ConfigReader, ModelFamily, ModelConfig> Parse { get; init; }
    /// <summary>Writes the shape fields back into a copy of the original config.json (keeping the parent's naming).</summary>
    public required Action<ModelConfig, JsonObject> WriteConfig { get; init; }
    /// <summary>Maps a checkpoint tensor name to the parameter it stands for, or null for one the model ignores.</summary>
    public required Func<ModelConfig, string, string?> CanonicalName { get; init; }
    /// <summary>Builds the (randomly initialised) module; the flag says whether it has <see cref="OptionalPart"/>.</summary>
    public required Func<ModelConfig, bool, TransformerModel> Create { get; init; }

    /// <summary>Runs the model one block at a time for streaming; null when the family cannot stream.</summary>
    public Func<ModelConfig, BlockwiseForward>? Blockwise { get; init; }
    /// <summary>Family-specific checks run before the common ones, throwing a CheckpointException naming the field.</summary>
    public Action<ModelConfig, string>? Validate { get; init; }
    /// <summary>Reads, once the shape is validated, what depends on it (the rotary parameters of rope_scaling /
    /// rope_parameters, which need head_dim); null: nothing more.</summary>
    public Func<ModelConfig, string, ModelConfig>? ParseValidated { get; init; }
    /// <summary>Options the family's module reads (a variant's delta, e.g. <see cref="LlamaOptions"/>).</summary>
    public FamilyOptions? Options { get; init; }
    /// <summary>A name prefix of parameters a checkpoint may omit (BERT's <c>pooler.</c>); null when none.</summary>
    public string? OptionalPart { get; init; }

    /// <summary>Mixture-of-experts blocks: the sparse module's names and config keys; null for dense families.</summary>
    public MoeLayout? Moe { get; init; }

    /// <summary>Splits a tensor stored in a fused layout (transformers v5's experts.gate_up_proj [E, 2F, D]) into the
    /// per-expert parameters it holds; null: the family has no fused layout.</summary>
    public FusedSplit? Fused { get; init; }

    /// <summary>head_dim may differ from hidden / heads, so a child's hidden width is free of its heads.</summary>
    public bool FreeHeadDim { get; init; }
    /// <summary>Positions are a learned table of max positions: longer sequences cannot run.</summary>
    public bool LearnedPositions { get; init; }
    /// <summary>Text is fed with the tokenizer's BOS token first.</summary>
    public bool PrependsBos { get; init; }
    /// <summary>tie_word_embeddings when the config does not say.</summary>
    public bool TiedHeadDefault { get; init; }
    /// <summary>Config fields that say something per block (<c>layer_types</c>, …), rewritten by a child's layer map.</summary>
    public IReadOnlyList<PerLayerField> PerLayerFields { get; init; } = [];
    /// <summary>The forward-changing config fields (of <see cref="ForwardFields.Known"/>) this family implements.</summary>
    public IReadOnlyList<string> ImplementedFields { get; init; } = [];
    /// <summary>How the family is written as GGUF for llama.cpp; null when llama.cpp has no such architecture.</summary>
    public GgufMapping? Gguf { get; init; }
    /// <summary>A factor beyond √(n/n') for one child tensor (Gemma's embedding normaliser); null: none.</summary>
    public SlicingCorrection? Correction { get; init; }

    /// <summary>Decoder families predict the next token.</summary>
    public bool IsDecoder => Kind == FamilyKind.Decoder;

    /// <summary><see cref="BlockPrefix"/> for block <paramref name="layer"/>.</summary>
    public string BlockPrefixAt(int layer) => BlockPrefix.Replace(ParameterRow.LayerPlaceholder,
        layer.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

    /// <summary>The module for <paramref name="config"/>, with the optional part unless told otherwise.</summary>
    public TransformerModel CreateModel(ModelConfig config, bool withOptionalPart = true) => Create(config, withOptionalPart);

    /// <summary>Whether tensor names found in a checkpoint include the optional part.</summary>
    public bool HasOptionalPart(IEnumerable<string> names) =>
        OptionalPart is { } prefix && names.Any(n => n.Contains(prefix, StringComparison.Ordinal));

    /// <summary>The names and shapes of the module's state_dict, in order, lazily (a config may declare billions of layers).
    /// A block's rows are those of its kind (sparse or dense MLP); a run of per-expert rows repeats, expert by expert.</summary>
    public IEnumerable<ParameterShape> Shapes(ModelConfig config, bool withOptionalPart = true)
    {
        var rows = Parameters.Where(r => r.IsPresent(config, withOptionalPart)).ToList();
        int firstBlock = rows.FindIndex(r => r.InBlock), afterBlocks = rows.FindLastIndex(r => r.InBlock) + 1;
        if (firstBlock < 0) firstBlock = afterBlocks = rows.Count;
        foreach (var r in rows.Take(firstBlock)) yield return new(r.Name, r.Shape(config));
        var blockRows = rows.Skip(firstBlock).Take(afterBlocks - firstBlock).Where(r => r.InBlock).ToList();
        for (int layer = 0; layer < config.Layers; layer++)
        {
            var present = blockRows.Where(r => r.IsPresentAt(config, layer)).ToList();
            for (int i = 0; i < present.Count; i++)
            {
                if (!present[i].PerExpert) { yield return new(present[i].NameAt(layer), present[i].Shape(config)); continue; }
                int end = i;
                while (end < present.Count && present[end].PerExpert) end++;
                for (int expert = 0; expert < (config.Moe?.Experts ?? 0); expert++)
                    for (int j = i; j < end; j++) yield return new(present[j].NameAt(layer, expert), present[j].Shape(config));
                i = end - 1;
            }
        }
        foreach (var r in rows.Skip(afterBlocks)) yield return new(r.Name, r.Shape(config));
    }

    /// <summary>Parameters of a model of <paramref name="config"/> (a tied head counted once), without enumerating every
    /// block unless the blocks differ in kind (sparse or dense).</summary>
    public long ParameterCount(ModelConfig config, bool withOptionalPart = true)
    {
        long Elements(ParameterRow r) => checked(r.Shape(config).Aggregate(1L, (a, b) => checked(a * b)) * (r.PerExpert ? config.Moe?.Experts ?? 0 : 1));
        var rows = Parameters.Where(r => r.IsPresent(config, withOptionalPart)).ToList();
        long outside = rows.Where(r => !r.InBlock).Sum(Elements);
        var blockRows = rows.Where(r => r.InBlock).ToList();
        if (blockRows.All(r => r.AtLayer is null)) return checked(outside + config.Layers * blockRows.Sum(Elements));
        long blocks = 0;
        for (int layer = 0; layer < config.Layers; layer++)
            blocks = checked(blocks + blockRows.Where(r => r.IsPresentAt(config, layer)).Sum(Elements));
        return checked(outside + blocks);
    }

    /// <summary>The row of parameter <paramref name="name"/> (an HF name) in a model of <paramref name="config"/>, or null.</summary>
    public ParameterRow? RowFor(ModelConfig config, string name)
    {
        var byTemplate = Templates.GetValue(this, f => f.Parameters.GroupBy(r => r.Name).ToDictionary(g => g.Key, g => g.ToList()));
        string template = BlockPattern().Match(name) is { Success: true } m
            ? string.Concat(name.AsSpan(0, m.Groups[1].Index), ParameterRow.LayerPlaceholder, name.AsSpan(m.Groups[1].Index + m.Groups[1].Length))
            : name;
        template = ExpertIndex().Replace(template, ".experts." + ParameterRow.ExpertPlaceholder + ".", 1);
        // Rows may share a name under exclusive conditions (a variant's norm of another width): the present one wins.
        return byTemplate.TryGetValue(template, out var rows) ? rows.FirstOrDefault(r => r.IsPresent(config)) ?? rows[0] : null;
    }

    [GeneratedRegex(@"\.experts\.\d+\.")]
    private static partial Regex ExpertIndex();

    Regex BlockPattern() => BlockPatterns.GetValue(this, f =>
        new Regex("^" + Regex.Escape(f.BlockPrefix).Replace(Regex.Escape(ParameterRow.LayerPlaceholder), @"(\d+)"), RegexOptions.CultureInvariant));

    static readonly ConditionalWeakTable<ModelFamily, Dictionary<string, List<ParameterRow>>> Templates = new();
    static readonly ConditionalWeakTable<ModelFamily, Regex> BlockPatterns = new();

    /// <summary>Descriptors are compared by identity: two variants with equal members are still two families.</summary>
    public bool Equals(ModelFamily? other) => ReferenceEquals(this, other);

    /// <inheritdoc/>
    public override int GetHashCode() => RuntimeHelpers.GetHashCode(this);

    /// <summary>The family's name.</summary>
    public override string ToString() => Name;
}

/// <summary>Options a family's module reads; a variant family differs from its base only in these (and its names).</summary>
public abstract record FamilyOptions;

/// <summary>
/// A factor, beyond √(n/n'), applied to the child's tensor <paramref name="childName"/> when it is cut from
/// <paramref name="parent"/> keeping <paramref name="kept"/>: 1 for none. Gemma scales embeddings by √hidden in
/// its forward, so inherited embeddings need √(d/d') to keep the residual stream on the kept dims.
/// </summary>
public delegate double SlicingCorrection(ModelConfig parent, KeptUnits kept, string childName);
