using Subclone.Models;

namespace Subclone.Cloning;

/// <summary>The child's shape. Null fields keep the parent's value. For a parent with experts: <paramref name="Experts"/>
/// kept per sparse block, <paramref name="TopK"/> routed per token (default: the parent's, at most the kept experts),
/// <paramref name="ExpertFfn"/> neurons per kept expert, and <paramref name="Dense"/> to write a one-expert child as
/// the dense family (see <see cref="DenseChild"/>).</summary>
public sealed record CloneTarget(int? Hidden = null, int? Layers = null, int? Heads = null, int? KvHeads = null, int? Ffn = null,
    int? Experts = null, int? TopK = null, int? ExpertFfn = null, bool Dense = false)
{
    /// <summary>Every width × <paramref name="ratio"/> (heads rounded to whole KV groups), depth unchanged unless given.</summary>
    public static CloneTarget FromRatio(ModelConfig parent, double ratio, int? layers = null)
    {
        if (!(ratio > 0 && ratio <= 1)) throw new UserInputException($"--ratio must be in (0, 1], got {ratio}");
        int kv = Math.Max(1, (int)Math.Round(parent.KvHeads * ratio));
        int perKv = parent.Heads / parent.KvHeads;
        int heads = kv * perKv;
        int hidden = parent.Family.FreeHeadDim
            ? Math.Max(1, (int)Math.Round(parent.Hidden * ratio))
            : heads * parent.HeadDim;  // GPT-2, BERT and ViT tie hidden to heads × head_dim
        int? expertFfn = parent.Moe is { } moe ? Math.Max(1, (int)Math.Round(moe.ExpertFfn * ratio)) : null;
        return new CloneTarget(hidden, layers, heads, kv, Math.Max(1, (int)Math.Round(parent.Ffn * ratio)), ExpertFfn: expertFfn);
    }

    /// <summary>The largest uniform shrink (same ratio for every width) whose child has at most <paramref name="budget"/> parameters.</summary>
    public static CloneTarget FromParameterBudget(ModelConfig parent, long budget, int? layers = null)
    {
        if (budget <= 0) throw new UserInputException($"--params must be positive, got {budget}");
        CloneTarget? best = null;
        for (int step = 1000; step >= 1; step--)
        {
            var candidate = FromRatio(parent, step / 1000.0, layers);
            if (ParameterCount(candidate.Apply(parent)) <= budget) { best = candidate; break; }
        }
        return best ?? throw new UserInputException($"no child of {parent.ArchitectureName} fits in {budget:N0} parameters");
    }

    /// <summary>Parses "40M", "1.5B", "250k", "123456".</summary>
    public static long ParseCount(string text)
    {
        text = text.Trim();
        double scale = char.ToUpperInvariant(text[^1]) switch { 'K' => 1e3, 'M' => 1e6, 'B' or 'G' => 1e9, _ => 1 };
        string number = scale == 1 ? text : text[..^1];
        if (!double.TryParse(number, System.Globalization.CultureInfo.InvariantCulture, out double v) || v <= 0)
            throw new UserInputException($"'{text}' is not a parameter count (e.g. 40M)");
        return (long)(v * scale);
    }

    /// <summary>The child's config, validated against the parent: one clear error for any impossible shape.</summary>
    public ModelConfig Apply(ModelConfig parent)
    {
        int hidden = Hidden ?? parent.Hidden, layers = Layers ?? parent.Layers, heads = Heads ?? parent.Heads;
        int kv = KvHeads ?? (parent.KvHeads == parent.Heads ? heads : Math.Max(1, parent.KvHeads * heads / parent.Heads));
        int ffn = Ffn ?? parent.Ffn;
        void Check(bool ok, string message) { if (!ok) throw new UserInputException(message); }
        Check(hidden >= 1 && hidden <= parent.Hidden, $"hidden {hidden} must be between 1 and the parent's {parent.Hidden}");
        Check(heads >= 1 && heads <= parent.Heads, $"heads {heads} must be between 1 and the parent's {parent.Heads}");
        Check(kv >= 1 && kv <= parent.KvHeads, $"kv-heads {kv} must be between 1 and the parent's {parent.KvHeads}");
        Check(heads % kv == 0, $"kv-heads {kv} do not divide heads {heads}");
        Check(heads / kv <= parent.Heads / parent.KvHeads, $"{heads / kv} query heads per KV head exceeds the parent's {parent.Heads / parent.KvHeads}");
        Check(ffn >= 1 && ffn <= parent.Ffn, $"ffn {ffn} must be between 1 and the parent's {parent.Ffn}");
        Check(layers >= 1, $"layers must be at least 1, got {layers}");
        if (!parent.Family.FreeHeadDim)
            Check(hidden == heads * parent.HeadDim,
                $"{parent.ModelType} needs hidden = heads × head_dim: {heads} × {parent.HeadDim} = {heads * parent.HeadDim}, not {hidden}");
        // Per-layer fields follow the default depth cut, so the shape is a consistent config of its own (a random-init
        // child is built from it); a clone's config comes from its map instead (Subcloner.ChildConfig).
        var child = parent with { Hidden = hidden, Layers = layers, Heads = heads, KvHeads = kv, Ffn = ffn };
        var layerMap = ClonePlanner.LayerMap(parent, layers, null, new CloneOptions());
        if (layers != parent.Layers) child = child.WithLayerMap(layerMap, parent.Layers);
        if (parent.Moe is not { } moe)
        {
            Check(Experts is null && TopK is null && ExpertFfn is null && !Dense, $"{parent.ArchitectureName} has no experts to cut (--experts, --top-k, --expert-ffn)");
            return child;
        }
        int experts = Experts ?? moe.Experts, topK = TopK ?? Math.Min(moe.TopK, experts);
        // Where one key holds both widths (Mixtral's intermediate_size), --ffn and --expert-ffn are the same cut.
        bool oneWidth = parent.Family.Moe!.ExpertFfnKey is null;
        int expertFfn = ExpertFfn ?? (oneWidth ? Ffn : null) ?? moe.ExpertFfn;
        Check(experts >= 1 && experts <= moe.Experts, $"experts {experts} must be between 1 and the parent's {moe.Experts}");
        Check(topK >= 1 && topK <= experts, $"top-k {topK} must be between 1 and the child's {experts} experts");
        Check(expertFfn >= 1 && expertFfn <= moe.ExpertFfn, $"expert-ffn {expertFfn} must be between 1 and the parent's {moe.ExpertFfn}");
        // Which child blocks are sparse follows the layer map; the default (middle) map stands in for sizing.
        var childMoe = moe.ForLayers(layerMap) with { Experts = experts, TopK = topK, ExpertFfn = expertFfn };
        // With no dense block left the dense width is unused; like the map (Subcloner.ChildConfig), keep the parent's.
        bool anyDense = Enumerable.Range(0, layers).Any(l => !childMoe.IsSparse(l));
        child = child with { Moe = childMoe, Ffn = oneWidth ? expertFfn : anyDense ? ffn : parent.Ffn };
        if (!Dense) return child;
        if (Ffn is int denseFfn && !oneWidth)
            Check(denseFfn == expertFfn, $"a dense child has one FFN width: --ffn {denseFfn} differs from --expert-ffn {expertFfn}");
        if (!oneWidth) Check(expertFfn <= parent.Ffn, $"expert-ffn {expertFfn} exceeds the dense blocks' {parent.Ffn}");
        return DenseChild.Config(child with { Ffn = expertFfn });
    }

    /// <summary>Parameters of a model with this config, without building it.</summary>
    public static long ParameterCount(ModelConfig c) => c.Family.ParameterCount(c);
}
