namespace Subclone.Data.Tokenizers.Json;

/// <summary>
/// What the <c>post_processor</c> adds around one sequence when special tokens are asked for: the ids before it
/// (BOS, [CLS]) and after it (EOS, [SEP]). Every supported type reduces to this for a single sequence:
/// <c>TemplateProcessing</c>'s <c>single</c> template, <c>BertProcessing</c>/<c>RobertaProcessing</c>'s cls and sep,
/// and <c>ByteLevel</c>, which only moves offsets and adds nothing.
/// </summary>
internal sealed record PostProcessor(int[] Before, int[] After)
{
    /// <summary>Adds nothing.</summary>
    public static readonly PostProcessor None = new([], []);

    /// <summary><paramref name="ids"/> with the special tokens around them.</summary>
    public int[] Frame(IReadOnlyList<int> ids) => [.. Before, .. ids, .. After];

    /// <summary>Reads <paramref name="node"/>; an unknown type is refused naming it.</summary>
    public static PostProcessor Read(JsonNode node) => node.Type switch
    {
        "TemplateProcessing" => ReadTemplate(node.OnlyFields("type", "single", "pair", "special_tokens")),
        "ByteLevel" => AddsNothing(node.OnlyFields("type", "add_prefix_space", "trim_offsets", "use_regex")),
        "BertProcessing" => ClsSep(node.OnlyFields("type", "sep", "cls")),
        "RobertaProcessing" => ClsSep(node.OnlyFields("type", "sep", "cls", "trim_offsets", "add_prefix_space")),
        // Each processor wraps what the previous one produced.
        "Sequence" => node.OnlyFields("type", "processors").Required("processors").Items().Select(Read)
            .Aggregate(None, (inner, outer) => new PostProcessor([.. outer.Before, .. inner.Before], [.. inner.After, .. outer.After])),
        var other => throw node.Error($"post-processor type \"{JsonNode.Quote(other)}\" is not supported"),
    };

    static PostProcessor AddsNothing(JsonNode _) => None;

    // The single template: special tokens before and after $A. The pair template is for two sequences, which
    // Subclone never encodes.
    static PostProcessor ReadTemplate(JsonNode node)
    {
        var specials = node.Child("special_tokens");
        var before = new List<int>();
        var after = new List<int>();
        bool seenSequence = false;
        foreach (var item in node.Required("single").Items())
        {
            item.OnlyFields("SpecialToken", "Sequence");
            if (item.Child("Sequence") is { } sequence)
            {
                string id = sequence.OnlyFields("id", "type_id").Required("id").AsString();
                if (id != "A" || seenSequence) throw sequence.Error($"the single template may only hold sequence A once, not \"{JsonNode.Quote(id)}\"");
                seenSequence = true;
                continue;
            }
            var special = item.Required("SpecialToken").OnlyFields("id", "type_id");
            string name = special.Required("id").AsString();
            var entry = specials?.Child(name) ?? throw special.Error($"special token \"{JsonNode.Quote(name)}\" is not in special_tokens");
            var ids = entry.OnlyFields("id", "ids", "tokens").Required("ids").Items().Select(i => i.AsId());
            (seenSequence ? after : before).AddRange(ids);
        }
        if (!seenSequence) throw node.Required("single").Error("has no sequence $A");
        return new PostProcessor([.. before], [.. after]);
    }

    // cls and sep are [token, id] pairs.
    static PostProcessor ClsSep(JsonNode node)
    {
        int IdOf(string name)
        {
            var pair = node.Required(name).Items().ToArray();
            return pair.Length == 2 ? pair[1].AsId() : throw node.Required(name).Error("is not a [token, id] pair");
        }
        return new PostProcessor([IdOf("cls")], [IdOf("sep")]);
    }
}
