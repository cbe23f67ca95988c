using Subclone.Models;
using TorchSharp.Modules;

namespace Subclone.Training;

/// <summary>
/// Which parameters AdamW decays: matrices (≥ 2-D weights) only. Biases and norm gains are 1-D and never decayed;
/// embedding tables are matrices but are left alone unless asked, since pulling rarely seen tokens' rows towards
/// zero only hurts them. A tied LM head is the token embedding and follows it.
/// </summary>
public sealed record WeightDecayGroups(IReadOnlyList<(string Name, Parameter Parameter)> Decay, IReadOnlyList<(string Name, Parameter Parameter)> NoDecay)
{
    public static WeightDecayGroups Of(TransformerModel model, bool decayEmbeddings)
    {
        var embeddings = model.named_modules().Where(m => m.module is EmbeddingTable)
            .Select(m => m.name.Length == 0 ? "weight" : m.name + ".weight").ToHashSet();
        var decay = new List<(string, Parameter)>();
        var noDecay = new List<(string, Parameter)>();
        foreach (var (name, p) in model.named_parameters())
        {
            bool matrix = p.dim() >= 2, embedding = embeddings.Contains(name);
            if (matrix && (decayEmbeddings || !embedding)) decay.Add((name, p));
            else noDecay.Add((name, p));
        }
        return new WeightDecayGroups(decay, noDecay);
    }
}
