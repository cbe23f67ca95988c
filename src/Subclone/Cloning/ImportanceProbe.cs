using Subclone.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Subclone.Cloning;

/// <summary>
/// Accumulates, over calibration batches, the statistics the paper ranks neurons by: mean |activation| of
/// every block's output (residual dims), of every FFN down-projection input (FFN neurons) and of every head's
/// attention output (heads), plus each block's influence ‖f(x)‖/‖x + f(x)‖. Sums are kept in float64 so a
/// long calibration pass does not lose precision; padding tokens are excluded through TokenMask.
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

    /// <summary>[B, T, 1] float64 token weights (1 real, 0 padding), or null.</summary>
    Tensor? Weights(int rank)
    {
        if (TokenMask is null) return null;
        var w = TokenMask.to_type(ScalarType.Float64);
        return rank == 3 ? w.unsqueeze(-1) : w.unsqueeze(1).unsqueeze(-1);  // [B,T,1] or [B,1,T,1]
    }

    double TokenCount(Tensor activations, int tokenDim) =>
        TokenMask is null ? activations.shape[0] * activations.shape[tokenDim] : TokenMask.to_type(ScalarType.Float64).sum().item<double>();

    static void Add(double[] into, Tensor values)
    {
        var sums = values.to_type(ScalarType.Float64).contiguous().data<double>().ToArray();
        for (int i = 0; i < into.Length; i++) into[i] += sums[i];
    }

    /// <summary>Adds |block output| per residual dim and the block's influence.</summary>
    public override void OnBlock(int layer, Tensor input, Tensor output)
    {
        using var scope = NewDisposeScope();
        var outAbs = output.detach().abs().to_type(ScalarType.Float64);
        var w = Weights(3);
        if (w is not null) outAbs = outAbs * w;
        Add(_residual[layer], outAbs.sum([0L, 1L]));

        // Block influence: the share of the block's output that its own function f(x) = y - x contributes.
        var f = (output.detach() - input.detach()).to_type(ScalarType.Float64).norm(dim: -1);
        var ratio = f / output.detach().to_type(ScalarType.Float64).norm(dim: -1).clamp_min(1e-12);
        if (TokenMask is not null) ratio = ratio * TokenMask.to_type(ScalarType.Float64);
        _influence[layer] += ratio.sum().item<double>();
        _tokens[layer] += TokenCount(output, 1);
    }

    /// <summary>Adds |FFN activation| per neuron.</summary>
    public override void OnFfnHidden(int layer, Tensor hidden)
    {
        using var scope = NewDisposeScope();
        var a = hidden.detach().abs().to_type(ScalarType.Float64);
        var w = Weights(3);
        if (w is not null) a = a * w;
        Add(_ffn[layer], a.sum([0L, 1L]));
    }

    /// <summary>Adds |head output| per head, averaged over the head's dims.</summary>
    public override void OnHeadOutputs(int layer, Tensor heads)
    {
        using var scope = NewDisposeScope();
        var a = heads.detach().abs().to_type(ScalarType.Float64);  // [B, H, T, hd]
        var w = Weights(4);
        if (w is not null) a = a * w;
        // Mean over the head's dims here; over tokens when the result is read.
        Add(_heads[layer], a.sum([0L, 2L]).mean([-1L]));
    }

    /// <summary>[N] float64 weights of the block's flattened tokens at <paramref name="tokens"/> (all of them when null), or null without a mask.</summary>
    Tensor? FlatWeights(Tensor? tokens)
    {
        if (TokenMask is null) return null;
        var w = TokenMask.to_type(ScalarType.Float64).reshape(-1);
        return tokens is null ? w : w.index_select(0, tokens);
    }

    /// <summary>Adds each expert's gate weight over every token: its routed probability mass.</summary>
    public override void OnRouting(int layer, Tensor weights)
    {
        using var scope = NewDisposeScope();
        var w = weights.detach().to_type(ScalarType.Float64);
        if (FlatWeights(null) is { } mask) w = w * mask.unsqueeze(-1);
        Add(_expertMass![layer], w.sum([0L]));
    }

    /// <summary>Adds |expert activation| per neuron over the tokens routed to the expert, and counts them.</summary>
    public override void OnExpertHidden(int layer, int expert, Tensor hidden, Tensor tokens)
    {
        using var scope = NewDisposeScope();
        var a = hidden.detach().abs().to_type(ScalarType.Float64);
        var mask = FlatWeights(tokens);
        if (mask is not null) a = a * mask.unsqueeze(-1);
        Add(_expertFfn![layer][expert], a.sum([0L]));
        _expertTokens![layer][expert] += mask is null ? tokens.shape[0] : mask.sum().item<double>();
    }

    /// <summary>Adds ‖gate weight · expert output‖ over the tokens routed to the expert.</summary>
    public override void OnExpertOutput(int layer, int expert, Tensor contribution, Tensor tokens)
    {
        using var scope = NewDisposeScope();
        var norms = contribution.detach().to_type(ScalarType.Float64).norm(dim: -1);
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
