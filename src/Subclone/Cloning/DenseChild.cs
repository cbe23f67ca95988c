using System.Text.Json.Nodes;
using Subclone.Models;

namespace Subclone.Cloning;

/// <summary>
/// A mixture-of-experts child with one expert and top-1 routing computes a dense MLP: the router's softmax over a
/// single logit is 1, so each block adds exactly that expert's output. Such a child is written as the dense family
/// whose blocks its family shares (Mixtral → Mistral, Qwen3-MoE → Qwen3), so it loads with the dense class.
/// </summary>
public static class DenseChild
{
    /// <summary>The dense family's config for <paramref name="oneExpert"/> (a one-expert, top-1 config): its MLP width is
    /// the expert's, its routing keys are dropped, its model_type and architectures are the dense family's.</summary>
    public static ModelConfig Config(ModelConfig oneExpert)
    {
        var moe = oneExpert.Moe ?? throw new InvalidOperationException("a dense child is cut from a parent with experts");
        var layout = oneExpert.Family.Moe!;
        var dense = layout.DenseFamily?.Invoke()
            ?? throw new UserInputException($"{oneExpert.Family} has no dense form for a one-expert child: {layout.DenseRefusal}; keep it a mixture of experts (--keep-moe)");
        if (moe.Experts != 1 || moe.TopK != 1)
            throw new UserInputException($"a dense child keeps one expert with top-1 routing, not {moe.Experts} with top-{moe.TopK}");
        var raw = (JsonObject)oneExpert.Raw.DeepClone();
        foreach (var key in layout.RoutingKeys) raw.Remove(key);
        raw["model_type"] = dense.ModelTypes[0];
        raw["architectures"] = new JsonArray(dense.ClassName);
        return oneExpert with { Family = dense, ModelType = dense.ModelTypes[0], Moe = null, Ffn = moe.ExpertFfn, Raw = raw };
    }
}
