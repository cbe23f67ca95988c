using Subclone.Tests.Support;
using Subclone.Training;

namespace Subclone.Tests.Training;

public class WeightDecayGroupsTests
{
    [Fact]
    public void GPT2_decays_its_projections_but_not_embeddings_norms_or_biases()
    {
        var groups = WeightDecayGroups.Of(TinyModels.Gpt2(), decayEmbeddings: false);
        var decay = groups.Decay.Select(p => p.Name).ToHashSet();
        var noDecay = groups.NoDecay.Select(p => p.Name).ToHashSet();

        Assert.Contains("transformer.h.0.attn.c_attn.weight", decay);
        Assert.Contains("transformer.h.1.mlp.c_proj.weight", decay);
        Assert.Contains("transformer.wte.weight", noDecay);
        Assert.Contains("transformer.wpe.weight", noDecay);
        Assert.Contains("transformer.ln_f.weight", noDecay);
        Assert.Contains("transformer.h.0.ln_1.bias", noDecay);
        Assert.Contains("transformer.h.0.attn.c_attn.bias", noDecay);
        Assert.All(decay, n => Assert.EndsWith(".weight", n));
        Assert.Equal(4 * 2, decay.Count);  // c_attn, attn.c_proj, c_fc, mlp.c_proj per layer
        Assert.Equal(TinyModels.Gpt2().named_parameters().Count(), decay.Count + noDecay.Count);
    }

    [Fact]
    public void Embeddings_are_decayed_when_asked()
    {
        var decay = WeightDecayGroups.Of(TinyModels.Gpt2(), decayEmbeddings: true).Decay.Select(p => p.Name).ToHashSet();

        Assert.Contains("transformer.wte.weight", decay);
        Assert.Contains("transformer.wpe.weight", decay);
        Assert.DoesNotContain("transformer.ln_f.weight", decay);
    }

    [Fact]
    public void Llama_decays_its_untied_head_but_not_token_embeddings_or_RMSNorm()
    {
        var groups = WeightDecayGroups.Of(TinyModels.Llama(), decayEmbeddings: false);
        var decay = groups.Decay.Select(p => p.Name).ToHashSet();
        var noDecay = groups.NoDecay.Select(p => p.Name).ToHashSet();

        Assert.Contains("lm_head.weight", decay);
        Assert.Contains("model.layers.0.self_attn.q_proj.weight", decay);
        Assert.Contains("model.layers.1.mlp.down_proj.weight", decay);
        Assert.Equal(["model.embed_tokens.weight", "model.layers.0.input_layernorm.weight", "model.layers.0.post_attention_layernorm.weight",
            "model.layers.1.input_layernorm.weight", "model.layers.1.post_attention_layernorm.weight", "model.norm.weight"], noDecay.Order(StringComparer.Ordinal));
    }
}
