using System.Text.Json.Nodes;
using Subclone.Checkpoints;
using Subclone.Cloning;
using Subclone.Models;
using Subclone.Models.Families;
using Subclone.Tests.Cloning;
using Subclone.Tests.Support;
using static TorchSharp.torch;

namespace Subclone.Tests.Models.Gemma;

/// <summary>Subcloning Gemma: the √hidden embedding correction, and attention types that follow the layer map.</summary>
public class GemmaCloningTests
{
    public static TheoryData<string> Fixtures => new() { "gemma2-tiny", "gemma3-tiny" };

    static Tensor EmbeddingOutput(TransformerModel model, Tensor ids) =>
        Gemma2Decoder.Embed(((Gemma2Model)model).model.embed_tokens, ids);

    static Tensor Ids(ModelConfig config) => randint(0, config.Vocab, [2, 20], generator: new Generator(5));

    /// <summary>Every width kept, every block in order, with a map that keeps the given residual dims / heads / neurons.</summary>
    static CloneMap Map(ModelConfig c, int[]? residual = null, int? kvHeads = null, int? ffn = null, int[]? layers = null)
    {
        var identity = CloneMap.Identity(c);
        int[] layerMap = layers ?? identity.LayerMap;
        int kv = kvHeads ?? c.KvHeads, perKv = c.Heads / c.KvHeads;
        return identity with
        {
            ResidualDims = residual ?? identity.ResidualDims,
            LayerMap = layerMap,
            KvHeads = layerMap.Select(_ => Enumerable.Range(0, kv).ToArray()).ToArray(),
            Heads = layerMap.Select(_ => Enumerable.Range(0, kv * perKv).ToArray()).ToArray(),
            // A narrower FFN keeps the even neurons, so the kept ones are not simply a prefix.
            FfnNeurons = layerMap.Select(_ => ffn is int f ? Enumerable.Range(0, f).Select(i => 2 * i).ToArray() : Enumerable.Range(0, c.Ffn).ToArray()).ToArray(),
        };
    }

    [SharedTheory]
    [MemberData(nameof(Fixtures))]
    public void Identity_clone_reproduces_the_logits_exactly(string fixture)
    {
        var parent = CloneTestKit.Fixture(fixture);
        var child = Subcloner.Apply(parent, CloneMap.Identity(parent.Config));
        using var expected = CloneTestKit.Logits(parent);
        using var actual = CloneTestKit.Logits(child);
        Assert.True(expected.equal(actual).all().item<bool>(), $"max diff {CloneTestKit.MaxDiff(expected, actual)}");
    }

    [SharedTheory]
    [MemberData(nameof(Fixtures))]
    public void Narrower_heads_and_FFN_keep_the_embedding_output(string fixture)
    {
        var parent = CloneTestKit.Fixture(fixture);
        var child = Subcloner.Apply(parent, Map(parent.Config, kvHeads: 1, ffn: parent.Config.Ffn / 2));
        using var _ = no_grad();
        using var ids = Ids(parent.Config);
        Assert.True(EmbeddingOutput(parent, ids).equal(EmbeddingOutput(child, ids)).all().item<bool>());
    }

    [SharedTheory]
    [MemberData(nameof(Fixtures))]
    public void Fewer_residual_dims_keep_the_embedding_output_on_the_kept_dims(string fixture)
    {
        var parent = CloneTestKit.Fixture(fixture);
        int[] kept = Enumerable.Range(0, parent.Config.Hidden).Where(i => i % 3 != 1).ToArray();
        var child = Subcloner.Apply(parent, Map(parent.Config, residual: kept));
        using var _ = no_grad();
        using var ids = Ids(parent.Config);
        using var expected = EmbeddingOutput(parent, ids).index_select(-1, tensor(kept.Select(i => (long)i).ToArray()));
        using var actual = EmbeddingOutput(child, ids);
        // Only float32 rounding of √(D/d') separates them; without the correction they differ by √(d'/D) ≈ 0.82.
        Assert.True(actual.allclose(expected, rtol: 1e-6, atol: 1e-7), $"max diff {CloneTestKit.MaxDiff(actual, expected)}");
    }

    [Fact]
    public void Tied_and_untied_heads_get_the_same_compensation()
    {
        // An untied parent whose lm_head equals its embedding: after the cut, lm_head carries √(n/n') for its shrunk
        // input and embed_tokens the √(D/d') correction; they are the same factor, so the two stay equal, as a tied head is.
        var config = TinyGemma(tied: false);
        var parent = TransformerModel.Create(config, seed: 3);
        using (no_grad()) parent.state_dict()["lm_head.weight"].copy_(parent.state_dict()["model.embed_tokens.weight"]);
        var child = Subcloner.Apply(parent, Map(config, residual: [0, 2, 3, 5, 8, 9, 11, 12, 13, 15]));
        var tensors = child.state_dict();
        Assert.True(tensors["lm_head.weight"].allclose(tensors["model.embed_tokens.weight"], rtol: 1e-6, atol: 0));
        Assert.False(tensors["model.embed_tokens.weight"].allclose(parent.state_dict()["model.embed_tokens.weight"].index_select(1,
            tensor(new long[] { 0, 2, 3, 5, 8, 9, 11, 12, 13, 15 })), rtol: 1e-3, atol: 0));
    }

    internal static ModelConfig TinyGemma(bool tied = true, string modelType = "gemma2", int layers = 3) => ModelConfig.Parse(new JsonObject
    {
        ["model_type"] = modelType, ["hidden_size"] = 16, ["num_hidden_layers"] = layers, ["num_attention_heads"] = 2,
        ["num_key_value_heads"] = 1, ["head_dim"] = 8, ["intermediate_size"] = 32, ["vocab_size"] = 40,
        ["max_position_embeddings"] = 64, ["query_pre_attn_scalar"] = 8, ["sliding_window"] = 4,
        ["tie_word_embeddings"] = tied,
    }, "config.json");

    [SharedTheory]
    [InlineData("gemma2-tiny", new[] { 1, 2 }, new[] { "full_attention", "sliding_attention" })]
    [InlineData("gemma3-tiny", new[] { 2, 3 }, new[] { "full_attention", "sliding_attention" })]
    [InlineData("gemma3-tiny", new[] { 0, 3, 2 }, new[] { "sliding_attention", "sliding_attention", "full_attention" })]
    public void Kept_blocks_keep_their_attention_type(string fixture, int[] layers, string[] types)
    {
        // Under the even-layer rule (Gemma 2) or sliding_window_pattern 3 (Gemma 3) these children would get other types.
        var parent = CloneTestKit.Fixture(fixture);
        var child = Subcloner.Apply(parent, Map(parent.Config, layers: layers));
        Assert.Equal(types, GemmaSettings.Of(child.Config).LayerTypes);
        Assert.Equal(types.Select(t => t == GemmaSettings.Sliding), ((Gemma2Model)child).model.layers.Select(b => b.IsSliding));

        using var dir = new TempDir();
        HfCheckpoint.Save(child, dir["child"], ScalarType.Float32);
        var saved = JsonNode.Parse(File.ReadAllText(dir["child/config.json"]))!;
        Assert.Equal(types, saved["layer_types"]!.AsArray().Select(t => (string)t!));
        var reloaded = HfCheckpoint.Load(dir["child"]).Model;
        using var ids = tensor(FixtureLogitsTests.InputIds(fixture)).unsqueeze(0);
        using var expected = SkippingForward(parent, layers, ids);
        using var actual = reloaded.Forward(ids);
        Assert.True(CloneTestKit.MaxDiff(expected, actual) < 1e-5, $"max diff {CloneTestKit.MaxDiff(expected, actual)}");
    }

    /// <summary>The parent's own blocks run in <paramref name="layers"/>' order, each with its own attention type: what a
    /// full-width child with that layer map must compute.</summary>
    static Tensor SkippingForward(TransformerModel parent, int[] layers, Tensor ids)
    {
        using var _ = no_grad();
        var gemma = (Gemma2Model)parent;
        var positions = new GemmaPositions(parent.Config, GemmaSettings.Of(parent.Config), ids.shape[1]);
        var x = Gemma2Decoder.Embed(gemma.model.embed_tokens, ids);
        foreach (int l in layers) x = gemma.model.layers[l].Forward(x, positions, null);
        var logits = matmul(gemma.model.norm.forward(x), gemma.model.embed_tokens.weight.t());
        return GemmaSettings.Of(parent.Config).FinalSoftcap is double cap ? (logits / cap).tanh() * cap : logits;
    }
}
