using System.Text.Json.Nodes;
using Subclone.Checkpoints;
using Subclone.Cloning;
using Subclone.Models;
using Subclone.Tests.Models.Families;
using static TorchSharp.torch;

namespace Subclone.Tests.Cloning;

/// <summary>
/// Cutting heads, KV groups and FFN neurons out of fused projections gives the child that cutting the same
/// projections unfused gives: Phi-3's [q | k | v] and [gate; up] against Llama's separate tensors, GPT-NeoX's
/// per-head [q_h | k_h | v_h] against its query, key and value parts cut one by one.
/// </summary>
public class FusedLayoutSlicingTests
{
    static ModelConfig Parse(JsonObject json) => ModelConfig.Parse(json, "config.json");

    /// <summary>The Llama with Phi-3's weights unfused: the same function when every dim rotates and there is no window.</summary>
    static TransformerModel UnfusedLlama(TransformerModel phi3)
    {
        var c = phi3.Config;
        var llama = Parse(new JsonObject
        {
            ["model_type"] = "llama", ["hidden_size"] = c.Hidden, ["num_hidden_layers"] = c.Layers,
            ["num_attention_heads"] = c.Heads, ["num_key_value_heads"] = c.KvHeads, ["intermediate_size"] = c.Ffn,
            ["vocab_size"] = c.Vocab, ["max_position_embeddings"] = c.MaxPositions, ["rms_norm_eps"] = c.NormEps,
            ["rope_theta"] = c.RopeTheta, ["tie_word_embeddings"] = c.TieWordEmbeddings,
        });
        long q = (long)c.Heads * c.HeadDim, kv = (long)c.KvHeads * c.HeadDim;
        var tensors = new Dictionary<string, Tensor>();
        foreach (var (name, t) in phi3.state_dict())
        {
            if (name.EndsWith("qkv_proj.weight"))
            {
                string p = name[..^"qkv_proj.weight".Length];
                var parts = t.split([q, kv, kv], 0);
                (tensors[p + "q_proj.weight"], tensors[p + "k_proj.weight"], tensors[p + "v_proj.weight"]) = (parts[0], parts[1], parts[2]);
            }
            else if (name.EndsWith("gate_up_proj.weight"))
            {
                string p = name[..^"gate_up_proj.weight".Length];
                var parts = t.chunk(2, 0);
                (tensors[p + "gate_proj.weight"], tensors[p + "up_proj.weight"]) = (parts[0], parts[1]);
            }
            else tensors[name] = t;
        }
        return HfCheckpoint.FromTensors(llama, tensors, "unfused phi3");
    }

    /// <summary>Equal shapes and bit-for-bit equal values.</summary>
    static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.allclose(b, rtol: 0, atol: 0);

    static CloneMap RandomMap(ModelConfig parent, CloneTarget target, long seed) =>
        ClonePlanner.Plan(parent, target.Apply(parent), null, new CloneOptions { Selection = Selection.Random, Seed = seed });

    [Fact]
    public void Phi3_fused_projections_cut_like_Llamas_separate_ones()
    {
        var phi3 = TransformerModel.Create(Parse(Phi3ModelTests.ConfigJson(layers: 3)), seed: 11);
        var llama = UnfusedLlama(phi3);
        Assert.True(CloneTestKit.MaxDiff(CloneTestKit.Logits(phi3), CloneTestKit.Logits(llama)) < 1e-5);

        // Half the residual dims, one of two KV groups with both its query heads, a third of the FFN, two of three blocks.
        var map = RandomMap(phi3.Config, new CloneTarget(Hidden: 16, Layers: 2, Heads: 2, KvHeads: 1, Ffn: 16), seed: 5);
        var phi3Child = Subcloner.Apply(phi3, map);
        var llamaChild = Subcloner.Apply(llama, map);

        var fused = phi3Child.state_dict();
        var separate = llamaChild.state_dict();
        for (int layer = 0; layer < 2; layer++)
        {
            string p = $"model.layers.{layer}.";
            var qkv = cat([separate[p + "self_attn.q_proj.weight"], separate[p + "self_attn.k_proj.weight"], separate[p + "self_attn.v_proj.weight"]], 0);
            Assert.True(Same(fused[p + "self_attn.qkv_proj.weight"], qkv), $"qkv_proj of block {layer}");
            var gateUp = cat([separate[p + "mlp.gate_proj.weight"], separate[p + "mlp.up_proj.weight"]], 0);
            Assert.True(Same(fused[p + "mlp.gate_up_proj.weight"], gateUp), $"gate_up_proj of block {layer}");
        }
        Assert.Equal([32L, 16], fused["model.layers.0.self_attn.qkv_proj.weight"].shape);  // (2 + 2·1) heads of 8, 16 dims
        Assert.Equal([32L, 16], fused["model.layers.1.mlp.gate_up_proj.weight"].shape);
        Assert.True(CloneTestKit.MaxDiff(CloneTestKit.Logits(phi3Child), CloneTestKit.Logits(llamaChild)) < 1e-5);
    }

    [Fact]
    public void GPT_NeoX_per_head_query_key_value_cuts_like_its_parts()
    {
        var neox = TransformerModel.Create(Parse(GptNeoXModelTests.ConfigJson()), seed: 12);
        var c = neox.Config;
        var map = RandomMap(c, new CloneTarget(Hidden: 16, Layers: 1, Heads: 2, Ffn: 32), seed: 6);
        var child = Subcloner.Apply(neox, map).state_dict();
        var parent = neox.state_dict();

        // The parts, unfused: [heads, 3, head_dim, D] → query, key, value, each [heads·head_dim, D], cut by head
        // (rows) and residual dim (columns, scaled by √(n/n')) as any separate projection is; then interleaved again.
        int parentLayer = map.LayerMap[0];
        var rows = tensor(map.Heads[0].SelectMany(h => Enumerable.Range(h * c.HeadDim, c.HeadDim)).Select(i => (long)i).ToArray());
        var columns = tensor(map.ResidualDims.Select(i => (long)i).ToArray());
        var weight = parent[$"gpt_neox.layers.{parentLayer}.attention.query_key_value.weight"].view(c.Heads, 3, c.HeadDim, c.Hidden);
        var bias = parent[$"gpt_neox.layers.{parentLayer}.attention.query_key_value.bias"].view(c.Heads, 3, c.HeadDim);
        var weightParts = Enumerable.Range(0, 3).Select(part => weight[.., part].reshape(-1, c.Hidden)
            .index_select(0, rows).index_select(1, columns) * Math.Sqrt(32.0 / 16)).ToArray();
        var biasParts = Enumerable.Range(0, 3).Select(part => bias[.., part].reshape(-1).index_select(0, rows)).ToArray();
        var expectedWeight = stack(weightParts.Select(w => w.view(2, c.HeadDim, 16)), 1).reshape(-1, 16);
        var expectedBias = stack(biasParts.Select(b => b.view(2, c.HeadDim)), 1).reshape(-1);

        Assert.True(Same(child["gpt_neox.layers.0.attention.query_key_value.weight"], expectedWeight));
        Assert.True(Same(child["gpt_neox.layers.0.attention.query_key_value.bias"], expectedBias));
        Assert.Equal([16L, 16], child["gpt_neox.layers.0.attention.dense.weight"].shape);
    }

    public static TheoryData<string> Families => new() { "phi3", "gpt_neox" };

    [Theory]
    [MemberData(nameof(Families))]
    public void An_identity_cut_reproduces_the_parent_exactly(string modelType)
    {
        var json = modelType == "phi3" ? Phi3ModelTests.ConfigJson(slidingWindow: 5, partialRotary: 0.5) : GptNeoXModelTests.ConfigJson(parallel: false);
        var parent = TransformerModel.Create(Parse(json), seed: 13);
        var child = Subcloner.Apply(parent, CloneMap.Identity(parent.Config));
        Assert.Equal(0, CloneTestKit.MaxDiff(CloneTestKit.Logits(parent), CloneTestKit.Logits(child)));
    }
}
