using System.Text.RegularExpressions;
using Subclone.Models;
using Subclone.Models.Families;

namespace Subclone.Cloning;

/// <summary>
/// The role of every axis of every parameter, read from the family's parameter table
/// (<see cref="ModelFamily.Parameters"/>), and the block index in a parameter name.
/// </summary>
public static partial class ParameterLayout
{
    [GeneratedRegex(@"\.(h|layers|layer)\.(\d+)\.")]
    private static partial Regex LayerIndex();

    [GeneratedRegex(@"\.experts\.(\d+)\.")]
    private static partial Regex ExpertIndex();

    /// <summary>The expert index in a sparse block's parameter name, or null outside the experts.</summary>
    public static int? ExpertOf(string name) =>
        ExpertIndex().Match(name) is { Success: true } m ? int.Parse(m.Groups[1].Value) : null;

    /// <summary>The same parameter of another expert.</summary>
    public static string WithExpert(string name, int expert) => ExpertIndex().Replace(name, $".experts.{expert}.", 1);

    /// <summary>The block index in a parameter name, or null for embeddings, final norm and head.</summary>
    public static int? LayerOf(string name) =>
        LayerIndex().Match(name) is { Success: true } m ? int.Parse(m.Groups[2].Value) : null;

    /// <summary>The same parameter in another block.</summary>
    public static string WithLayer(string name, int layer) =>
        LayerIndex().Replace(name, m => $".{m.Groups[1].Value}.{layer}.", 1);

    /// <summary>
    /// The axis roles of parameter <paramref name="name"/> (an HF name) in a model of <paramref name="config"/>, from its
    /// family's parameter table; an <see cref="InvalidOperationException"/> for a parameter the table has no row for.
    /// </summary>
    public static ParameterAxes For(ModelConfig config, string name) =>
        config.Family.RowFor(config, name)?.Layout
        ?? throw new InvalidOperationException($"no slicing rule for {config.Family} parameter '{name}'");
}
