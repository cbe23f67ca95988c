using Subclone.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Subclone.Cloning;

/// <summary>
/// Accumulates, over calibration batches, the statistics the paper ranks neurons by: mean |activation| of
/// every block's output (residual dims), of every FFN down-projection input (FFN neurons) and of every head's
/// attention output (heads), plus each block's influence ‖f(x)‖/‖x + f(x)‖. Sums are kept in float64 so a
/// long calibration pass does not lose precision, but only the small per-dim and per-token sums: the activations are
/// converted a chunk of rows at a time (<see cref="ChunkElements"/>), never as a float64 copy of the whole tensor,
/// which for a 7B-shaped block's 14336-wide FFN was most of calibration's memory. Padding tokens are excluded
/// through TokenMask.
/// </summary>
public sealed class ImportanceProbe : ActivationProbe
{
    readonly double[][] _residual, _ffn, _heads;
    readonly double[] _influence;
    readonly double[] _tokens;
    // Mixture-of-experts sums: per sparse block, per expert; null for dense models (see ImportanceScores.ExpertMass).
    readonly double[][]? _expertMass, _expertContribution, _expertTokens;
    readonly double[][][]? _expertFfn;

    /// <summary>Empty sums for a model of <paramref name="config"/>'s shape.</summary>
    public ImportanceProbe(ModelConfig config)
    {
        int l = config.Layers;
        _residual = Jagged(l, config.Hidden);
        _ffn = Jagged(l, config.Ffn);
        _heads = Jagged(l, config.Heads);
        _influence = new double[l];
        _tokens = new double[l];
        if (config.Moe is { } moe)
        {
            int Experts(int layer) => moe.IsSparse(layer) ? moe.Experts : 0;
            _expertMass = Enumerable.Range(0, l).Select(i => new double[Experts(i)]).ToArray();
            _expertContribution = Enumerable.Range(0, l).Select(i => new double[Experts(i)]).ToArray();
            _expertTokens = Enumerable.Range(0, l).Select(i => new double[Experts(i)]).ToArray();
            _expertFfn = Enumerable.Range(0, l).Select(i => Jagged(Experts(i), moe.ExpertFfn)).ToArray();
        }
    }

    static double[][] Jagged(int rows, int cols) => Enumerable.Range(0, rows).Select(_ => new double[cols]).ToArray();

    /// <summary>Elements of an activation converted to float64 at a time (2 MB): a few hundred rows of a block's output.</summary>
    internal const long ChunkElements = 1 << 18;

    /// <summary>[N] float64 weights of the flattened B·T tokens at <paramref name="tokens"/> (all of them when null), or null without a mask.</summary>
    Tensor? FlatWeights(Tensor? tokens)
    {
        if (TokenMask is null) return null;
        var w = TokenMask.to_type(ScalarType.Float64).reshape(-1);
        return tokens is null ? w : w.index_select(0, tokens);
    }

    double TokenCount(Tensor activations, int tokenDim) =>
        TokenMask is null ? activations.shape[0] * activations.shape[tokenDim] : TokenMask.to_type(ScalarType.Float64).sum().item<double>();

    static void Add(double[] into, Tensor values)
    {
        var sums = values.to_type(ScalarType.Float64).contiguous().data<double>().ToArray();
        for (int i = 0; i < into.Length; i++) into[i] += sums[i];
    }

    /// <summary>Row ranges of an [N, C] tensor holding about <see cref="ChunkElements"/> elements each.</summary>
    static IEnumerable<(long Start, long Length)> Chunks(long rows, long columns)
    {
        long step = Math.Max(1, ChunkElements / Math.Max(1, columns));
        for (long start = 0; start < rows; start += step) yield return (start, Math.Min(step, rows - start));
    }

    /// <summary>Σ over the rows of [N, C] <paramref name="rows"/> of |x| times the row's weight, [C] in float64.</summary>
    static Tensor WeightedAbsSum(Tensor rows, Tensor? weights)
    {
        var total = zeros(rows.shape[1], dtype: ScalarType.Float64);
        foreach (var (start, length) in Chunks(rows.shape[0], rows.shape[1]))
        {
            // Each chunk's float64 temporaries are freed before the next chunk is converted.
            using var scope = NewDisposeScope();
            var a = rows.narrow(0, start, length).abs().to_type(ScalarType.Float64);
            if (weights is not null) a = a * weights.narrow(0, start, length).unsqueeze(-1);
            total.add_(a.sum([0L]));
        }
        return total;
    }

    /// <summary>‖row‖ in float64 for each row of [N, C] <paramref name="rows"/>, minus the same row of
    /// <paramref name="minus"/> when given: [N], computed a chunk of rows at a time.</summary>
    static Tensor RowNorms(Tensor rows, Tensor? minus = null)
    {
        var norms = new List<Tensor>();
        foreach (var (start, length) in Chunks(rows.shape[0], rows.shape[1]))
        {
            using var scope = NewDisposeScope();
            var chunk = rows.narrow(0, start, length);
            if (minus is not null) chunk = chunk - minus.narrow(0, start, length);  // in the activations' dtype, as y - x is
            norms.Add(chunk.to_type(ScalarType.Float64).norm(dim: -1).MoveToOuterDisposeScope());
        }
        return norms.Count == 0 ? zeros(0, dtype: ScalarType.Float64) : cat(norms, 0);
    }

    /// <summary>Adds |block output| per residual dim and the block's influence.</summary>
    public override void OnBlock(int layer, Tensor input, Tensor output)
    {
        using var scope = NewDisposeScope();
        long width = output.shape[^1];
        var outRows = output.detach().reshape(-1, width);
        var weights = FlatWeights(null);
        Add(_residual[layer], WeightedAbsSum(outRows, weights));

        // Block influence: the share of the block's output that its own function f(x) = y - x contributes. The
        // per-token norms are small ([N]); only their inputs are converted chunk by chunk.
        var f = RowNorms(outRows, input.detach().reshape(-1, width));
        var ratio = f / RowNorms(outRows).clamp_min(1e-12);
        if (weights is not null) ratio = ratio * weights;
        _influence[layer] += ratio.sum().item<double>();
        _tokens[layer] += TokenCount(output, 1);
    }

    /// <summary>Adds |FFN activation| per neuron.</summary>
    public override void OnFfnHidden(int layer, Tensor hidden)
    {
        using var scope = NewDisposeScope();
        Add(_ffn[layer], WeightedAbsSum(hidden.detach().reshape(-1, hidden.shape[^1]), FlatWeights(null)));
    }

    /// <summary>Adds |head output| per head, averaged over the head's dims.</summary>
    public override void OnHeadOutputs(int layer, Tensor heads)
    {
        using var scope = NewDisposeScope();
        var a = heads.detach();  // [B, H, T, hd]
        long batch = a.shape[0], count = a.shape[1], tokens = a.shape[2], dims = a.shape[3];
        var weights = TokenMask?.to_type(ScalarType.Float64);  // [B, T]
        var sums = zeros([count, dims], dtype: ScalarType.Float64);
        for (long b = 0; b < batch; b++)
            foreach (var (start, length) in Chunks(tokens, count * dims))
            {
                using var chunkScope = NewDisposeScope();
                var chunk = a[b].narrow(1, start, length).abs().to_type(ScalarType.Float64);  // [H, t, hd]
                if (weights is not null) chunk = chunk * weights[b].narrow(0, start, length).unsqueeze(-1);
                sums.add_(chunk.sum([1L]));
            }
        // Mean over the head's dims here; over tokens when the result is read.
        Add(_heads[layer], sums.mean([-1L]));
    }

    /// <summary>Adds each expert's gate weight over every token: its routed probability mass.</summary>
    public override void OnRouting(int layer, Tensor weights)
    {
        using var scope = NewDisposeScope();
        var w = weights.detach().to_type(ScalarType.Float64);  // [N, experts]: small
        if (FlatWeights(null) is { } mask) w = w * mask.unsqueeze(-1);
        Add(_expertMass![layer], w.sum([0L]));
    }

    /// <summary>Adds |expert activation| per neuron over the tokens routed to the expert, and counts them.</summary>
    public override void OnExpertHidden(int layer, int expert, Tensor hidden, Tensor tokens)
    {
        using var scope = NewDisposeScope();
        var mask = FlatWeights(tokens);
        Add(_expertFfn![layer][expert], WeightedAbsSum(hidden.detach(), mask));
        _expertTokens![layer][expert] += mask is null ? tokens.shape[0] : mask.sum().item<double>();
    }

    /// <summary>Adds ‖gate weight · expert output‖ over the tokens routed to the expert.</summary>
    public override void OnExpertOutput(int layer, int expert, Tensor contribution, Tensor tokens)
    {
        using var scope = NewDisposeScope();
        var norms = RowNorms(contribution.detach());
        if (FlatWeights(tokens) is { } mask) norms = norms * mask;
        _expertContribution![layer][expert] += norms.sum().item<double>();
    }

    /// <summary>Tokens that have passed through the first block (patches + [CLS] for ViT), padding excluded.</summary>
    public long TokensSeen => (long)_tokens[0];

    /// <summary>The accumulated means.</summary>
    public ImportanceScores Result(long calibrationTokens, string source, long seed)
    {
        double[][] Mean(double[][] sums) => sums.Select((row, l) => row.Select(v => _tokens[l] > 0 ? v / _tokens[l] : 0).ToArray()).ToArray();
        return new ImportanceScores
        {
            Residual = Mean(_residual),
            Ffn = Mean(_ffn),
            Heads = Mean(_heads),
            ExpertMass = _expertMass is null ? null : Mean(_expertMass),
            ExpertContribution = _expertContribution is null ? null : Mean(_expertContribution),
            ExpertFfn = _expertFfn?.Select((experts, l) => experts.Select((row, e) =>
                row.Select(v => _expertTokens![l][e] > 0 ? v / _expertTokens[l][e] : 0).ToArray()).ToArray()).ToArray(),
            BlockInfluence = _influence.Select((v, l) => _tokens[l] > 0 ? v / _tokens[l] : 0).ToArray(),
            CalibrationTokens = calibrationTokens,
            CalibrationSource = source,
            Seed = seed,
        };
    }
}
