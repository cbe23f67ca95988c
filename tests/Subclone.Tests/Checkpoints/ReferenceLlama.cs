using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Subclone.Tests.Checkpoints;

/// <summary>
/// A minimal Hugging Face <c>LlamaForCausalLM</c> forward over a state dict, written from modeling_llama.py's
/// math (rotate-half RoPE with inv_freq duplicated to the full head dim, repeat_kv, causal SDPA, SwiGLU MLP).
/// It recomputes the whole sequence every call: the point is an obviously-correct check, not speed.
/// </summary>
sealed class ReferenceLlama(IReadOnlyDictionary<string, Tensor> weights, int layers, int heads, int kvHeads,
    double rmsNormEps, double ropeTheta)
{
    /// <summary>Logits [tokens, vocab], row t predicting the token after ids[t].</summary>
    public Tensor Logits(IReadOnlyList<long> ids)
    {
        using var scope = NewDisposeScope();
        int t = ids.Count;
        var embed = weights["model.embed_tokens.weight"];
        long hidden = embed.shape[1];
        long headDim = hidden / heads;

        using var idTensor = tensor(ids.ToArray(), ScalarType.Int64);
        var x = embed.index_select(0, idTensor);

        var invFreq = 1.0 / pow(ropeTheta, arange(0, headDim, 2, ScalarType.Int64).to(ScalarType.Float32) / headDim);
        var freqs = arange(t, ScalarType.Float32).unsqueeze(1) * invFreq.unsqueeze(0);
        var angles = cat([freqs, freqs], -1);
        var (cos, sin) = (angles.cos(), angles.sin());
        var future = ones(t, t, ScalarType.Bool).triu(1);

        for (int l = 0; l < layers; l++)
        {
            string p = $"model.layers.{l}.";
            var h = RmsNorm(x, weights[p + "input_layernorm.weight"]);
            var q = F.linear(h, weights[p + "self_attn.q_proj.weight"]).view(t, heads, headDim).transpose(0, 1);
            var k = F.linear(h, weights[p + "self_attn.k_proj.weight"]).view(t, kvHeads, headDim).transpose(0, 1);
            var v = F.linear(h, weights[p + "self_attn.v_proj.weight"]).view(t, kvHeads, headDim).transpose(0, 1);
            q = q * cos + RotateHalf(q) * sin;
            k = k * cos + RotateHalf(k) * sin;
            k = k.repeat_interleave(heads / kvHeads, 0);
            v = v.repeat_interleave(heads / kvHeads, 0);

            var scores = q.matmul(k.transpose(1, 2)) / Math.Sqrt(headDim);
            var attention = scores.masked_fill(future, float.NegativeInfinity).softmax(-1).matmul(v);
            x = x + F.linear(attention.transpose(0, 1).reshape(t, hidden), weights[p + "self_attn.o_proj.weight"]);

            h = RmsNorm(x, weights[p + "post_attention_layernorm.weight"]);
            var gated = F.silu(F.linear(h, weights[p + "mlp.gate_proj.weight"])) * F.linear(h, weights[p + "mlp.up_proj.weight"]);
            x = x + F.linear(gated, weights[p + "mlp.down_proj.weight"]);
        }

        x = RmsNorm(x, weights["model.norm.weight"]);
        var head = weights.TryGetValue("lm_head.weight", out var untied) ? untied : embed;
        return F.linear(x, head).MoveToOuterDisposeScope();
    }

    Tensor RmsNorm(Tensor x, Tensor weight) =>
        weight * (x * (x.pow(2).mean([-1], keepdim: true) + rmsNormEps).rsqrt());

    static Tensor RotateHalf(Tensor x)
    {
        long half = x.shape[^1] / 2;
        return cat([-x.narrow(-1, half, half), x.narrow(-1, 0, half)], -1);
    }
}
