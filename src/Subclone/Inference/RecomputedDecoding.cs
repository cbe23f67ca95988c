using Subclone.Models;
using static TorchSharp.torch;

namespace Subclone.Inference;

/// <summary>
/// Decoding without a cache: every step runs the model's ordinary forward over each row's whole window, one row at
/// a time (no padding). Under a context limit a rotary model needs every key masked to the limit over the whole text,
/// which the plain forward cannot express; it then runs the row's window through a fresh <see cref="KvCache"/>.
/// </summary>
public sealed class RecomputedDecoding(CausalLanguageModel model, IReadOnlyList<IReadOnlyList<int>> prompts, int? maxContext)
    : Decoding(model, prompts, maxContext)
{
    /// <inheritdoc/>
    public override Tensor Start() => AllRows();

    /// <inheritdoc/>
    protected override Tensor Continue(IReadOnlyList<int> next, bool windowMoved) => AllRows();

    Tensor AllRows()
    {
        using var scope = NewDisposeScope();
        var rows = Enumerable.Range(0, Rows.Count).Select(b => Row(Context(b))).ToArray();
        return stack(rows).MoveToOuterDisposeScope();
    }

    Tensor Row(List<int> context)
    {
        var ids = tensor(context.Select(i => (long)i).ToArray()).unsqueeze(0);
        if (Model.LearnedPositions || MaxContext is not int limit) return Model.Forward(ids)[0, -1];
        using var cache = new KvCache(Model.Config.Layers, [0], Math.Min(context.Count, limit + RingSlack(limit)), context.Count, limit);
        return Prefill(Model, cache, ids)[0];
    }

    /// <summary>The ring's room beyond a context limit: how many tokens one prefill step may add.</summary>
    public static int RingSlack(int limit) => Math.Min(limit, 64);
}
