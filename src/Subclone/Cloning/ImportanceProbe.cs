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

    /// <summary>Empty sums for a model of <paramref name="config"/>'s shape.</summary>
    public ImportanceProbe(ModelConfig config)
    {
        int l = config.Layers;
        _residual = Jagged(l, config.Hidden);
        _ffn = Jagged(l, config.Ffn);
        _heads = Jagged(l, config.Heads);
        _influence = new double[l];
        _tokens = new double[l];
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
            BlockInfluence = _influence.Select((v, l) => _tokens[l] > 0 ? v / _tokens[l] : 0).ToArray(),
            CalibrationTokens = calibrationTokens,
            CalibrationSource = source,
            Seed = seed,
        };
    }
}
