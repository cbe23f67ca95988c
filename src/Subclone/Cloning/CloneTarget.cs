using Subclone.Models;

namespace Subclone.Cloning;

/// <summary>The child's shape. Null fields keep the parent's value.</summary>
public sealed record CloneTarget(int? Hidden = null, int? Layers = null, int? Heads = null, int? KvHeads = null, int? Ffn = null)
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
        return new CloneTarget(hidden, layers, heads, kv, Math.Max(1, (int)Math.Round(parent.Ffn * ratio)));
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
        return parent with { Hidden = hidden, Layers = layers, Heads = heads, KvHeads = kv, Ffn = ffn };
    }

    /// <summary>Parameters of a model with this config, without building it.</summary>
    public static long ParameterCount(ModelConfig c) => c.Family.ParameterCount(c);
}
