using Subclone.Checkpoints;
using Subclone.Models;
using Subclone.Tests.Support;
using static TorchSharp.torch;

namespace Subclone.Tests.Models;

/// <summary>The block-by-block pass (streaming importance) computes each rope fixture's rotary tables as the whole
/// model does: run through BlockwiseForward, then the final norm and head, it reproduces the expected logits.</summary>
public class RopeBlockwiseFixtureTests
{
    [SharedTheory]
    [InlineData("llama3-tiny-rope-scaling")]
    [InlineData("qwen2-tiny-yarn")]
    [InlineData("llama-tiny-dynamic-rope")]
    public void Blockwise_llama_pass_matches_the_reference_logits(string fixture)
    {
        var model = (LlamaModel)HfCheckpoint.Load(SharedData.Fixture(fixture)).Model;
        var blockwise = BlockwiseForward.For(model.Config);
        using var _ = no_grad();
        using var ids = tensor(FixtureLogitsTests.InputIds(fixture)).unsqueeze(0);

        var hidden = blockwise.Embed(model.model.embed_tokens, ids);
        foreach (var block in model.model.layers) hidden = blockwise.RunBlock(block, hidden, null, null);
        var normed = model.model.norm.forward(hidden);
        var logits = (model.lm_head is null ? matmul(normed, model.model.embed_tokens.weight.t()) : model.lm_head.forward(normed)).squeeze(0);

        using var expected = FixtureLogitsTests.ExpectedLogits(fixture);
        double maxDiff = (logits - expected).abs().max().item<float>();
        Assert.True(maxDiff < 1e-4, $"{fixture}: max abs logit difference {maxDiff}");
    }
}
