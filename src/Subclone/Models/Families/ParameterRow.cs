using System.Globalization;

namespace Subclone.Models.Families;

/// <summary>
/// One row of a family's parameter table: the HF name (with <c>{layer}</c> for a block's parameters), its shape
/// from the config, its axis roles for slicing, and Hugging Face's init rule. Shapes, counts, layouts, random
/// init and the streaming writer all read these rows, so a family is described once.
/// </summary>
/// <param name="Name">HF name template, e.g. <c>model.layers.{layer}.self_attn.q_proj.weight</c>.</param>
/// <param name="Shape">The tensor's shape for a config.</param>
/// <param name="Layout">Axis roles, and the input axis that √(n/n') scaling follows.</param>
/// <param name="Init">Hugging Face's initialisation for a config.</param>
public sealed record ParameterRow(string Name, Func<ModelConfig, long[]> Shape, ParameterAxes Layout, Func<ModelConfig, ParameterInit> Init)
{
    /// <summary>The placeholder for the block index in <see cref="Name"/>.</summary>
    public const string LayerPlaceholder = "{layer}";

    /// <summary>The placeholder for the expert index in <see cref="Name"/> (a sparse block's experts.{expert}.w1.weight).</summary>
    public const string ExpertPlaceholder = "{expert}";

    /// <summary>Whether a block's kind has this row (sparse or dense MLP blocks); null: every block.</summary>
    public Func<ModelConfig, int, bool>? AtLayer { get; init; }

    /// <summary>The row is repeated for every expert of a sparse block.</summary>
    public bool PerExpert => Name.Contains(ExpertPlaceholder, StringComparison.Ordinal);

    /// <summary>The parameter's name for expert <paramref name="expert"/> in block <paramref name="layer"/>.</summary>
    public string NameAt(int layer, int expert) =>
        NameAt(layer).Replace(ExpertPlaceholder, expert.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);

    /// <summary>Whether block <paramref name="layer"/> of a model of <paramref name="config"/> has this row.</summary>
    public bool IsPresentAt(ModelConfig config, int layer) => AtLayer?.Invoke(config, layer) ?? true;

    /// <summary>Whether the config has this parameter at all (a bias with attention_bias, an untied head); null: always.</summary>
    public Func<ModelConfig, bool>? When { get; init; }

    /// <summary>A part a checkpoint may leave out without being incomplete (BERT's pooler): see <see cref="ModelFamily.OptionalPart"/>.</summary>
    public bool Optional { get; init; }

    /// <summary>The row is repeated for every block.</summary>
    public bool InBlock => Name.Contains(LayerPlaceholder, StringComparison.Ordinal);

    /// <summary>The parameter's name in block <paramref name="layer"/>.</summary>
    public string NameAt(int layer) => Name.Replace(LayerPlaceholder, layer.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);

    /// <summary>Whether a model of <paramref name="config"/> has it (with or without the optional part).</summary>
    public bool IsPresent(ModelConfig config, bool withOptional = true) => (When?.Invoke(config) ?? true) && (withOptional || !Optional);

    /// <summary>This row present only when <paramref name="when"/> holds (and when it held before).</summary>
    public ParameterRow OnlyWhen(Func<ModelConfig, bool> when) =>
        this with { When = When is { } before ? c => before(c) && when(c) : when };

    static long Size(AxisRole role, ModelConfig c) =>
        role.Extent(c) ?? throw new InvalidOperationException("a whole axis needs an explicit size");

    static ParameterInit Normal(ModelConfig c) => ParameterInit.Normal(c.InitializerRange);

    /// <summary>
    /// A linear layer's weight [out, in] (or [in, out] in GPT-2's Conv1D layout) and, when <paramref name="bias"/>
    /// holds, its bias [out]. Weight N(0, initializer_range) unless <paramref name="init"/> says otherwise; bias zero.
    /// </summary>
    public static IEnumerable<ParameterRow> Linear(string module, AxisRole output, AxisRole input, Func<ModelConfig, bool>? bias = null,
        Func<ModelConfig, ParameterInit>? init = null, bool convLayout = false)
    {
        yield return convLayout
            ? new(module + ".weight", c => [Size(input, c), Size(output, c)], new([input, output], 0), init ?? Normal)
            : new(module + ".weight", c => [Size(output, c), Size(input, c)], new([output, input], 1), init ?? Normal);
        if (bias is not null) yield return Vector(module + ".bias", output, ParameterInit.Zero) with { When = bias };
    }

    /// <summary>A 1-D parameter along <paramref name="role"/> with a constant init (biases zero, norm weights one).</summary>
    public static ParameterRow Vector(string name, AxisRole role, ParameterInit init) =>
        new(name, c => [Size(role, c)], new([role]), _ => init);

    /// <summary>A norm's weight (one) and, with <paramref name="withBias"/>, its bias (zero), over <paramref name="role"/>.</summary>
    public static IEnumerable<ParameterRow> Norm(string module, bool withBias, AxisRole? role = null)
    {
        yield return Vector(module + ".weight", role ?? AxisRole.Residual, ParameterInit.One);
        if (withBias) yield return Vector(module + ".bias", role ?? AxisRole.Residual, ParameterInit.Zero);
    }

    /// <summary>An embedding table [rows, hidden], N(0, initializer_range), never scaled.</summary>
    public static ParameterRow Embedding(string name, Func<ModelConfig, long> rows) =>
        new(name, c => [rows(c), c.Hidden], new([AxisRole.Whole, AxisRole.Residual]), Normal);

    /// <summary>An output head [rows, hidden] (the LM head, a classifier): its input is the residual stream.</summary>
    public static ParameterRow Head(string name, Func<ModelConfig, long> rows) =>
        new(name, c => [rows(c), c.Hidden], new([AxisRole.Whole, AxisRole.Residual], 1), Normal);
}
