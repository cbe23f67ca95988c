using System.Text.Json.Nodes;
using Subclone.Models;
using Subclone.Models.Families;

namespace Subclone.Tests.Models.Families;

/// <summary>The Phi-3 and GPT-NeoX modules have exactly the parameters their descriptors' tables list, in order.</summary>
public class Phi3GptNeoXDescriptorTests
{
    public static TheoryData<string, string, bool> Variants => new()
    {
        { "phi3", "tie_word_embeddings", false }, { "phi3", "tie_word_embeddings", true },
        { "gpt_neox", "tie_word_embeddings", true }, { "gpt_neox", "attention_bias", false },
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public void Module_parameters_are_the_descriptor_table(string modelType, string field, bool value)
    {
        JsonObject json = modelType == "phi3" ? Phi3ModelTests.ConfigJson() : GptNeoXModelTests.ConfigJson();
        json[field] = value;
        var config = ModelConfig.Parse(json, "config.json");
        var model = TransformerModel.Create(config, seed: 1);

        var expected = config.Family.Shapes(config).Select(p => (p.Name, string.Join("x", p.Shape))).ToList();
        var actual = model.state_dict().Select(kv => (kv.Key, string.Join("x", kv.Value.shape))).ToList();
        Assert.Equal(expected, actual);
        Assert.Equal(model.ParameterCount(), config.Family.ParameterCount(config));
        Assert.Same(modelType == "phi3" ? Phi3Family.Descriptor : GptNeoXFamily.Descriptor, ModelFamilies.Find(modelType));
        Assert.Equal(field != "attention_bias", actual.Any(p => p.Key.EndsWith("query_key_value.bias")) || modelType == "phi3");
    }
}
