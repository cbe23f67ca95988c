using System.Globalization;
using Subclone.Cloning;
using Subclone.Models;

namespace Subclone.Search;

/// <summary>One uniform child shape a search considers: the target, the child config it makes, and its counts.</summary>
/// <param name="Target">The shape as clone takes it (--hidden, --layers, --heads, --kv-heads, --ffn).</param>
/// <param name="Config">The child's config (validated against the parent).</param>
/// <param name="Parameters">The child's parameters.</param>
/// <param name="FlopsPerToken">The child's estimated inference FLOPs per token (<see cref="InferenceFlops"/>).</param>
public sealed record ShapeCandidate(CloneTarget Target, ModelConfig Config, long Parameters, double FlopsPerToken)
{
    /// <summary>This is the shape <c>clone --params</c> picks for the same budget (every width at the parent's proportions, full depth).</summary>
    public bool IsParamsShape { get; init; }

    /// <summary>"hidden 64, layers 3, heads 2/2, ffn 256".</summary>
    public string Shape => string.Format(CultureInfo.InvariantCulture, "hidden {0}, layers {1}, heads {2}/{3}, ffn {4}",
        Config.Hidden, Config.Layers, Config.Heads, Config.KvHeads, Config.Ffn);

    /// <summary>The clone options that make this child: "--hidden 64 --layers 3 --heads 2 --kv-heads 2 --ffn 256".</summary>
    public string CloneArguments => string.Format(CultureInfo.InvariantCulture, "--hidden {0} --layers {1} --heads {2} --kv-heads {3} --ffn {4}",
        Config.Hidden, Config.Layers, Config.Heads, Config.KvHeads, Config.Ffn);
}
