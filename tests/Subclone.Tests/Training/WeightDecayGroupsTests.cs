using Subclone.Data;
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

    [Fact]
    public void The_trainer_shrinks_exactly_the_decay_group()
    {
        using var dir = new TempDir();
        using var data = TokenCache.Open([TrainingTestKit.WriteStories(dir["s.txt"], 50)], new CharTokenizer(), dir["cache"]);
        var options = new TrainingOptions { Steps = 1, BatchSize = 2, SequenceLength = 16, LearningRate = 1e-2, WarmupSteps = 0, MinLearningRate = 1e-2, EvalEvery = 0 };
        Subclone.Models.TransformerModel Train(double wd)
        {
            var model = TrainingTestKit.Gpt2(seed: 3);
            using var trainer = new TrainingLoop(new LanguageModelTask(model, new TokenBatcher(data, 2, 16, 1), options with { WeightDecay = wd }));
            trainer.Run();
            return model;
        }

        var plain = Train(0).state_dict();
        var decayed = Train(0.5).state_dict();
        var decayNames = WeightDecayGroups.Of(TrainingTestKit.Gpt2(seed: 3), false).Decay.Select(p => p.Name).ToHashSet();

        foreach (var (name, tensor) in plain)
        {
            if (decayNames.Contains(name))
                // One step of decoupled decay multiplies by 1 − lr·wd before the Adam update.
                Assert.False(ModelAssert.BitEqual(tensor, decayed[name]), $"{name} was not decayed");
            else
                Assert.True(ModelAssert.BitEqual(tensor, decayed[name]), $"{name} was decayed");
        }
    }
}
