using Subclone.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Subclone.Tests.Checkpoints;

/// <summary>
/// A deliberately plain BERT forward written from the paper/HF semantics with elementary TorchSharp ops, so it
/// checks imported tensors independently of any model code in the library.
/// </summary>
static class ReferenceBert
{
    /// <summary>Returns last_hidden_state [batch, seq, hidden] and, if the tensors have a pooler, the pooled [batch, hidden].</summary>
    public static (Tensor Hidden, Tensor? Pooled) Forward(
        IReadOnlyDictionary<string, Tensor> w, BertShape shape, long[,] ids, long[,] mask, long[,] types)
    {
        using var scope = NewDisposeScope();
        int batch = ids.GetLength(0), seq = ids.GetLength(1);
        var inputIds = ToTensor(ids);
        var tokenTypes = ToTensor(types);
        var positions = arange(seq, dtype: int64).unsqueeze(0).expand(batch, seq);

        var x = w["embeddings.word_embeddings.weight"][inputIds]
              + w["embeddings.position_embeddings.weight"][positions]
              + w["embeddings.token_type_embeddings.weight"][tokenTypes];
        x = LayerNorm(x, w, "embeddings.LayerNorm", shape.NormEps);

        // Padding keys get the most negative float so softmax gives them (numerically) zero weight, as HF does.
        var keep = ToTensor(mask).to(float32).view(batch, 1, 1, seq);
        var additiveMask = (1 - keep) * float.MinValue;

        for (int i = 0; i < shape.Layers; i++)
        {
            string p = $"encoder.layer.{i}.";
            var q = SplitHeads(Linear(x, w, p + "attention.self.query"), shape);
            var k = SplitHeads(Linear(x, w, p + "attention.self.key"), shape);
            var v = SplitHeads(Linear(x, w, p + "attention.self.value"), shape);
            var scores = matmul(q, k.transpose(-1, -2)) / Math.Sqrt(shape.HeadDim) + additiveMask;
            var context = matmul(scores.softmax(-1), v).permute(0, 2, 1, 3).reshape(batch, seq, shape.Hidden);
            x = LayerNorm(Linear(context, w, p + "attention.output.dense") + x, w, p + "attention.output.LayerNorm", shape.NormEps);

            var h = Linear(x, w, p + "intermediate.dense");
            h = 0.5 * h * (1 + special.erf(h / Math.Sqrt(2)));
            x = LayerNorm(Linear(h, w, p + "output.dense") + x, w, p + "output.LayerNorm", shape.NormEps);
        }

        Tensor? pooled = w.ContainsKey("pooler.dense.weight")
            ? Linear(x[TensorIndex.Colon, 0], w, "pooler.dense").tanh()
            : null;
        return (x.MoveToOuterDisposeScope(), pooled?.MoveToOuterDisposeScope());
    }

    static Tensor ToTensor(long[,] values) =>
        tensor(values.Cast<long>().ToArray(), [values.GetLength(0), values.GetLength(1)], int64);

    /// <summary>HF Linear: weight is [out, in].</summary>
    static Tensor Linear(Tensor x, IReadOnlyDictionary<string, Tensor> w, string module) =>
        matmul(x, w[module + ".weight"].t()) + w[module + ".bias"];

    static Tensor LayerNorm(Tensor x, IReadOnlyDictionary<string, Tensor> w, string module, double eps)
    {
        var mean = x.mean([-1], keepdim: true);
        var variance = (x - mean).pow(2).mean([-1], keepdim: true);
        return (x - mean) / (variance + eps).sqrt() * w[module + ".weight"] + w[module + ".bias"];
    }

    static Tensor SplitHeads(Tensor x, BertShape shape) =>
        x.view(x.shape[0], x.shape[1], shape.Heads, shape.HeadDim).permute(0, 2, 1, 3);
}
