using System.CommandLine;
using System.Text.Json.Nodes;
using Subclone.Data.Tokenizers;

namespace Subclone.Cli.Commands;

/// <summary>subclone tokenize MODEL --text T [--no-special] [--json]: the ids and tokens a model sees for a text.</summary>
public static class TokenizeCommand
{
    public static Command Create(CliIo io)
    {
        var model = new Argument<string>("MODEL") { Description = "A model directory with tokenizer files, or a tokenizer file (tokenizer.json, a SentencePiece .model, vocab.json)" };
        var text = new Option<string>("--text") { Description = "The text to tokenize", Required = true };
        var noSpecial = new Option<bool>("--no-special") { Description = "Do not add the special tokens the tokenizer frames a text with (BOS/EOS from tokenizer.json's post-processor, BERT's [CLS]/[SEP])" };
        var json = new Option<bool>("--json") { Description = "Print {\"ids\":[...],\"tokens\":[...]}" };
        var command = new Command("tokenize", "Show the token ids and tokens of a text, as the model sees it") { model, text, noSpecial, json };
        command.SetAction(r => io.Guard(() =>
        {
            string path = r.GetValue(model)!;
            if (!Path.Exists(path)) throw new UserInputException($"MODEL {path}: no such file or directory");
            // The model's vocab_size only matters for a bare llama2.c tokenizer file, which does not store its size.
            var tokenizer = TokenizerResolver.Load(path, modelVocab: 0);
            var ids = Encode(tokenizer, r.GetValue(text)!, addSpecialTokens: !r.GetValue(noSpecial));
            var tokens = ids.Select(id => TokenOf(tokenizer, id)).ToList();
            if (r.GetValue(json))
                io.Out.WriteLine(new JsonObject
                {
                    ["ids"] = new JsonArray(ids.Select(id => (JsonNode)id).ToArray()),
                    ["tokens"] = new JsonArray(tokens.Select(t => (JsonNode)t).ToArray()),
                }.ToJsonString(Readable));
            else
                // One token a line; tokens can be "\n" or " ", so control characters are escaped.
                foreach (var (id, token) in ids.Zip(tokens)) io.Out.WriteLine($"{id}\t{Escape(token)}");
            return 0;
        }));
        return command;
    }

    // Tokens are mostly non-ASCII ("Ġworld", "▁Hello"): written as they are, not as \uXXXX escapes.
    static readonly System.Text.Json.JsonSerializerOptions Readable = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    static IReadOnlyList<int> Encode(ITextTokenizer tokenizer, string text, bool addSpecialTokens) => tokenizer switch
    {
        FastTokenizer fast => fast.Encode(text, addSpecialTokens),
        IEncoderTokenizer encoder when addSpecialTokens => encoder.EncodeForModel(text, int.MaxValue),
        _ => tokenizer.Encode(text),
    };

    static string Escape(string token) =>
        string.Concat(token.Select(c => c switch { '\n' => "\\n", '\t' => "\\t", '\r' => "\\r", _ when char.IsControl(c) => $"\\u{(int)c:X4}", _ => c.ToString() }));

    // The vocabulary's spelling where the tokenizer has one; otherwise the text the id decodes to.
    static string TokenOf(ITextTokenizer tokenizer, int id) =>
        tokenizer is FastTokenizer fast ? fast.TokenOf(id) ?? "" : tokenizer.Decode([id]);
}
