<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>AboutDialog</name>
    <message>
        <source>About KV Chat</source>
        <translation>关于 KV Chat</translation>
    </message>
    <message>
        <source>A desktop chat app for local GGUF models that makes the KV cache&apos;s precision a visible, exact choice.</source>
        <translation>一款面向本地 GGUF 模型的桌面聊天应用，让 KV 缓存的精度成为看得见、算得准的选择。</translation>
    </message>
    <message>
        <source>llama.cpp build</source>
        <translation>llama.cpp 构建</translation>
    </message>
    <message>
        <source>Data folder</source>
        <translation>数据文件夹</translation>
    </message>
    <message>
        <source>Settings folder</source>
        <translation>设置文件夹</translation>
    </message>
    <message>
        <source>Documentation</source>
        <translation>文档</translation>
    </message>
</context>
<context>
    <name>BackendKernels</name>
    <message>
        <source>A {type_v} V cache needs flash attention: turn it on, or choose f16 for V.</source>
        <translation>{type_v} 类型的 V 缓存需要开启 Flash Attention：请开启它，或将 V 改为 f16。</translation>
    </message>
    <message>
        <source>{first} or {second}</source>
        <translation>{first} 或 {second}</translation>
    </message>
    <message>
        <source>{backend} has no flash-attention kernel for head sizes K {head_dim_k} / V {head_dim_v}: attention runs on the CPU, much slower. Turn flash attention off (V must then be f16).</source>
        <translation>{backend} 没有适用于头维度 K {head_dim_k} / V {head_dim_v} 的 Flash Attention 内核：注意力计算会在 CPU 上运行，慢得多。请关闭 Flash Attention（此时 V 必须为 f16）。</translation>
    </message>
    <message>
        <source>Metal accepts head sizes K {head_dim_k} / V {head_dim_v} for flash attention but has no kernel for them: llama.cpp would fail. Turn flash attention off (V must then be f16).</source>
        <translation>Metal 的 Flash Attention 接受头维度 K {head_dim_k} / V {head_dim_v}，却没有对应的内核：llama.cpp 会出错。请关闭 Flash Attention（此时 V 必须为 f16）。</translation>
    </message>
    <message>
        <source>Without flash attention Vulkan cannot multiply a {type_k} K cache spread over several KV heads: attention runs on the CPU, much slower. Turn flash attention on, or choose f16 for K.</source>
        <translation>不开启 Flash Attention 时，Vulkan 无法对分布在多个 KV 头上的 {type_k} K 缓存做矩阵乘法：注意力计算会在 CPU 上运行，慢得多。请开启 Flash Attention，或将 K 改为 f16。</translation>
    </message>
    <message>
        <source>{backend} has no flash-attention kernel for {type}: K {type_k} / V {type_v} runs attention on the CPU, much slower. Choose {pairs} instead.</source>
        <translation>{backend} 没有适用于 {type} 的 Flash Attention 内核：K {type_k} / V {type_v} 的注意力计算会在 CPU 上运行，慢得多。请改选 {pairs}。</translation>
    </message>
    <message>
        <source>Metal&apos;s flash attention needs K and V of the same type: K {type_k} / V {type_v} runs attention on the CPU, much slower. Choose {pairs} instead.</source>
        <translation>Metal 的 Flash Attention 要求 K 和 V 类型相同：K {type_k} / V {type_v} 的注意力计算会在 CPU 上运行，慢得多。请改选 {pairs}。</translation>
    </message>
    <message>
        <source>Vulkan&apos;s flash attention takes bf16 only for both K and V: K {type_k} / V {type_v} runs attention on the CPU, much slower. Choose {pairs} instead.</source>
        <translation>Vulkan 的 Flash Attention 只在 K 和 V 都是 bf16 时才接受 bf16：K {type_k} / V {type_v} 的注意力计算会在 CPU 上运行，慢得多。请改选 {pairs}。</translation>
    </message>
    <message>
        <source>CUDA&apos;s flash attention reads a quantized or bf16 cache directly only for head sizes {sizes}; at this model&apos;s {head_dim_k}, K {type_k} / V {type_v} is converted to f16 on every token, slower. Choose {pairs} instead.</source>
        <translation>CUDA 的 Flash Attention 只在头维度为 {sizes} 时直接读取量化或 bf16 缓存；本模型的头维度为 {head_dim_k}，K {type_k} / V {type_v} 每生成一个 token 都要转换为 f16，速度更慢。请改选 {pairs}。</translation>
    </message>
    <message>
        <source>CUDA&apos;s flash attention reads bf16 directly only on some GPUs and models; elsewhere K {type_k} / V {type_v} is converted to f16 on every token, slower. f16 takes the same memory: choose {pairs} instead.</source>
        <translation>CUDA 的 Flash Attention 只在部分 GPU 和模型上直接读取 bf16；其他情况下 K {type_k} / V {type_v} 每生成一个 token 都要转换为 f16，速度更慢。f16 占用的内存相同：请改选 {pairs}。</translation>
    </message>
    <message>
        <source>CUDA builds without GGML_CUDA_FA_QUANTS=all, such as llama-cpp-python&apos;s wheels, have flash-attention kernels only for K/V {compiled}: K {type_k} / V {type_v} is converted to f16 on every token, slower. Choose {pairs} instead.</source>
        <translation>未使用 GGML_CUDA_FA_QUANTS=all 编译的 CUDA 版本（例如 llama-cpp-python 发布的 wheel）只有 K/V 为 {compiled} 的 Flash Attention 内核：K {type_k} / V {type_v} 每生成一个 token 都要转换为 f16，速度更慢。请改选 {pairs}。</translation>
    </message>
</context>
<context>
    <name>Banner</name>
    <message>
        <source>Dismiss</source>
        <translation>关闭</translation>
    </message>
</context>
<context>
    <name>ChatEngine</name>
    <message>
        <source>llama.cpp could not load {model}: {error}</source>
        <translation>llama.cpp 无法加载 {model}：{error}</translation>
    </message>
    <message>
        <source>No model is loaded. Load a model first.</source>
        <translation>尚未加载模型。请先加载一个模型。</translation>
    </message>
    <message>
        <source>llama.cpp did not accept its kept cache</source>
        <translation>llama.cpp 不接受它保留的缓存</translation>
    </message>
    <message>
        <source>llama.cpp failed while reading the prompt: {error}</source>
        <translation>llama.cpp 在读取提示词时出错：{error}</translation>
    </message>
    <message>
        <source>There is nothing to reply to: the prompt is empty.</source>
        <translation>没有可回复的内容：提示词为空。</translation>
    </message>
    <message>
        <source>The conversation is {length:,} tokens long, but the context holds {n_ctx:,}. Start a new conversation, shorten it, or load the model with a longer context.</source>
        <translation>此对话长 {length:,} 个 token，但上下文只能容纳 {n_ctx:,} 个。请新建对话、缩短此对话，或以更长的上下文加载模型。</translation>
    </message>
    <message>
        <source>the change is older than the window the kept cache holds</source>
        <translation>改动早于保留的缓存所存的窗口</translation>
    </message>
    <message>
        <source>llama.cpp failed while generating: {error}</source>
        <translation>llama.cpp 在生成时出错：{error}</translation>
    </message>
</context>
<context>
    <name>ChatSession</name>
    <message>
        <source>The conversation could not be saved again: {saved} of {total} messages were written.</source>
        <translation>无法重新保存此对话：{total} 条消息中只写入了 {saved} 条。</translation>
    </message>
    <message>
        <source>“{title}” was deleted outside this window (by another KV Chat, perhaps). Nothing is lost: what this window shows was saved again as a new conversation.</source>
        <translation>“{title}”已在此窗口之外被删除（也许是另一个 KV Chat）。没有丢失任何内容：此窗口显示的内容已重新保存为一个新对话。</translation>
    </message>
    <message>
        <source>No conversation is open to send this to: start a new conversation (Ctrl+N).</source>
        <translation>没有打开的对话可以发送：请新建对话（Ctrl+N）。</translation>
    </message>
    <message>
        <source>No chat template: continuing the text as plain completion…</source>
        <translation>没有对话模板：正在以普通文本补全的方式续写…</translation>
    </message>
    <message>
        <source>This conversation is longer than the model&apos;s context: the oldest message was left out of this reply&apos;s prompt (the system prompt and the latest messages are kept). A longer context or a smaller KV cache type keeps more.</source>
        <translation>这段对话超出了模型的上下文：最早的 1 条消息没有放进这次回复的提示词（系统提示词和最新的消息都会保留）。更长的上下文或更小的 KV 缓存类型能保留更多。</translation>
    </message>
    <message>
        <source>This conversation is longer than the model&apos;s context: the {count} oldest messages were left out of this reply&apos;s prompt (the system prompt and the latest messages are kept). A longer context or a smaller KV cache type keeps more.</source>
        <translation>这段对话超出了模型的上下文：最早的 {count} 条消息没有放进这次回复的提示词（系统提示词和最新的消息都会保留）。更长的上下文或更小的 KV 缓存类型能保留更多。</translation>
    </message>
</context>
<context>
    <name>ChatTemplate</name>
    <message>
        <source>it tried to build a value of {size:,} items (at most {limit:,} are allowed)</source>
        <translation>它试图构造一个含 {size:,} 项的值（最多允许 {limit:,} 项）</translation>
    </message>
    <message>
        <source>it formats a field {width} characters wide</source>
        <translation>它格式化了一个宽达 {width} 个字符的字段</translation>
    </message>
    <message>
        <source>it passed {value:,} to a function (at most {limit:,} is allowed)</source>
        <translation>它向函数传入了 {value:,}（最多允许 {limit:,}）</translation>
    </message>
    <message>
        <source>it runs too long to be a chat format (more steps than any conversation needs)</source>
        <translation>它运行时间过长，不像聊天格式（所需步数超过任何对话）</translation>
    </message>
    <message>
        <source>it wrote more than {limit:,} characters</source>
        <translation>它写出的字符超过 {limit:,} 个</translation>
    </message>
</context>
<context>
    <name>ChatView</name>
    <message>
        <source>Start a conversation: type below and press Enter.</source>
        <translation>开始对话：在下方输入内容，然后按 Enter。</translation>
    </message>
    <message>
        <source>Show earlier messages ({count} not shown)</source>
        <translation>显示更早的消息（还有 {count} 条未显示）</translation>
    </message>
    <message>
        <source>Reading the prompt…</source>
        <translation>正在读取提示词…</translation>
    </message>
</context>
<context>
    <name>Composer</name>
    <message>
        <source>Send</source>
        <translation>发送</translation>
    </message>
    <message>
        <source>Cancel edit</source>
        <translation>取消编辑</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Stop the reply (Esc)</source>
        <translation>停止回复（Esc）</translation>
    </message>
    <message>
        <source>Send (Enter)</source>
        <translation>发送（Enter）</translation>
    </message>
    <message>
        <source>Message  (Enter to send, Shift+Enter for a new line)</source>
        <translation>输入消息（Enter 发送，Shift+Enter 换行）</translation>
    </message>
    <message>
        <source>Editing an earlier message: sending replaces it and what followed.</source>
        <translation>正在编辑之前的消息：发送后将替换该消息及其后的全部内容。</translation>
    </message>
</context>
<context>
    <name>ConnectDialog</name>
    <message>
        <source>Connect to a server</source>
        <translation>连接到服务器</translation>
    </message>
    <message>
        <source>Chat with a model that runs on an OpenAI-compatible server, for models too large for this computer. The usual addresses: llama.cpp&apos;s llama-server http://127.0.0.1:8080 (with --rpc it can spread one model over several machines), llama-cpp-python&apos;s server http://127.0.0.1:8000, Ollama http://127.0.0.1:11434, LM Studio http://127.0.0.1:1234.</source>
        <translation>与运行在 OpenAI 兼容服务器上的模型对话，适用于本机装不下的大模型。常用地址：llama.cpp 的 llama-server http://127.0.0.1:8080（配合 --rpc 可把一个模型分布到多台机器上），llama-cpp-python 的服务器 http://127.0.0.1:8000，Ollama http://127.0.0.1:11434，LM Studio http://127.0.0.1:1234。</translation>
    </message>
    <message>
        <source>only if the server asks for one</source>
        <translation>仅在服务器要求时填写</translation>
    </message>
    <message>
        <source>Address</source>
        <translation>地址</translation>
    </message>
    <message>
        <source>API key</source>
        <translation>API 密钥</translation>
    </message>
    <message>
        <source>Connect</source>
        <translation>连接</translation>
    </message>
    <message>
        <source>Connecting to {url}…</source>
        <translation>正在连接 {url}…</translation>
    </message>
    <message>
        <source>Connecting to {url} failed: {error}</source>
        <translation>连接 {url} 失败：{error}</translation>
    </message>
</context>
<context>
    <name>ContextLength</name>
    <message>
        <source> tokens</source>
        <translation> token</translation>
    </message>
</context>
<context>
    <name>ConversationFile</name>
    <message>
        <source>it nests too deeply to be a conversation</source>
        <translation>它嵌套过深，不可能是对话</translation>
    </message>
    <message>
        <source>it is not valid JSON ({error})</source>
        <translation>它不是有效的 JSON（{error}）</translation>
    </message>
    <message>
        <source>it is not a KV Chat conversation (no &quot;format&quot;: &quot;kvchat-conversation&quot;)</source>
        <translation>它不是 KV Chat 对话（缺少 &quot;format&quot;: &quot;kvchat-conversation&quot;）</translation>
    </message>
    <message>
        <source>its format version must be a whole number, not {value}</source>
        <translation>其格式版本必须是整数，而不是 {value}</translation>
    </message>
    <message>
        <source>it was written by a newer KV Chat (format version {version})</source>
        <translation>它由更新版本的 KV Chat 写入（格式版本 {version}）</translation>
    </message>
    <message>
        <source>sampling: {problem}</source>
        <translation>采样设置：{problem}</translation>
    </message>
    <message>
        <source>messages must be a list, not {value}</source>
        <translation>messages 必须是列表，而不是 {value}</translation>
    </message>
    <message>
        <source>message {number}: {problem}</source>
        <translation>第 {number} 条消息：{problem}</translation>
    </message>
    <message>
        <source>{name} is missing</source>
        <translation>缺少 {name}</translation>
    </message>
    <message>
        <source>role must be user, assistant or system, not {value}</source>
        <translation>role 必须是 user、assistant 或 system，而不是 {value}</translation>
    </message>
    <message>
        <source>message {number}, stats: {problem}</source>
        <translation>第 {number} 条消息的统计信息：{problem}</translation>
    </message>
    <message>
        <source>version {version}, the one shown, is not its content</source>
        <translation>显示的版本 {version} 与其内容不符</translation>
    </message>
    <message>
        <source>versions must be a list, not {value}</source>
        <translation>versions 必须是列表，而不是 {value}</translation>
    </message>
    <message>
        <source>only a reply of the assistant has versions</source>
        <translation>只有助手的回复才有版本</translation>
    </message>
    <message>
        <source>version must be a whole number from 0 to {high}, not {value}</source>
        <translation>version 必须是 0 到 {high} 之间的整数，而不是 {value}</translation>
    </message>
    <message>
        <source>version {position}: {problem}</source>
        <translation>版本 {position}：{problem}</translation>
    </message>
    <message>
        <source>stats: {problem}</source>
        <translation>统计：{problem}</translation>
    </message>
    <message>
        <source>it is not UTF-8 text (byte {offset:,} cannot be decoded)</source>
        <translation>它不是 UTF-8 文本（第 {offset:,} 字节无法解码）</translation>
    </message>
    <message>
        <source>it is {size:,} bytes, more than the {limit:,} bytes a conversation file may have</source>
        <translation>它有 {size:,} 字节，超过了对话文件允许的 {limit:,} 字节</translation>
    </message>
    <message>
        <source>it could not be read as a conversation ({error})</source>
        <translation>无法作为对话读取（{error}）</translation>
    </message>
    <message>
        <source>Imported conversation</source>
        <translation>导入的对话</translation>
    </message>
    <message>
        <source>it holds no &quot;## You&quot; or &quot;## Assistant&quot; sections</source>
        <translation>文件中没有“## You”或“## Assistant”段落</translation>
    </message>
    <message>
        <source>it is not a regular file</source>
        <translation>它不是普通文件</translation>
    </message>
    <message>
        <source>it cannot be read ({error})</source>
        <translation>无法读取该文件（{error}）</translation>
    </message>
</context>
<context>
    <name>ConversationFiles</name>
    <message>
        <source>Markdown</source>
        <translation>Markdown 文件</translation>
    </message>
    <message>
        <source>KV Chat conversation</source>
        <translation>KV Chat 对话</translation>
    </message>
    <message>
        <source>conversation</source>
        <translation>对话</translation>
    </message>
    <message>
        <source>Export conversation</source>
        <translation>导出对话</translation>
    </message>
    <message>
        <source>Import conversation</source>
        <translation>导入对话</translation>
    </message>
    <message>
        <source>Conversations</source>
        <translation>对话文件</translation>
    </message>
    <message>
        <source>The conversation could not be exported: {error}</source>
        <translation>无法导出对话：{error}</translation>
    </message>
    <message>
        <source>Exported to {path}</source>
        <translation>已导出到 {path}</translation>
    </message>
    <message>
        <source>Reading {name}…</source>
        <translation>正在读取 {name}…</translation>
    </message>
    <message>
        <source>Importing {name}: {done:,} of {total:,} messages…</source>
        <translation>正在导入 {name}：{total:,} 条消息中的 {done:,} 条…</translation>
    </message>
    <message>
        <source>{name} cannot be imported: {error}</source>
        <translation>无法导入 {name}：{error}</translation>
    </message>
    <message>
        <source>{name} was not imported</source>
        <translation>{name} 未导入</translation>
    </message>
    <message>
        <source>Imported {name}</source>
        <translation>已导入 {name}</translation>
    </message>
</context>
<context>
    <name>ConversationList</name>
    <message>
        <source>New conversation</source>
        <translation>新建对话</translation>
    </message>
    <message>
        <source>New conversation (Ctrl+N)</source>
        <translation>新建对话（Ctrl+N）</translation>
    </message>
    <message>
        <source>Search titles</source>
        <translation>搜索标题</translation>
    </message>
    <message>
        <source>Rename</source>
        <translation>重命名</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Delete conversation</source>
        <translation>删除对话</translation>
    </message>
    <message>
        <source>Delete “{title}” and all its messages?</source>
        <translation>要删除“{title}”及其全部消息吗？</translation>
    </message>
    <message>
        <source>Forget kept cache ({size})</source>
        <translation>丢弃保留的缓存（{size}）</translation>
    </message>
</context>
<context>
    <name>ConversationSettings</name>
    <message>
        <source>Optional: how the assistant should behave in this conversation.</source>
        <translation>可选：说明助手在此对话中应如何表现。</translation>
    </message>
    <message>
        <source>0 always picks the likeliest token</source>
        <translation>为 0 时总是选择可能性最高的 token</translation>
    </message>
    <message>
        <source>keep the smallest set of tokens whose probability adds up to this</source>
        <translation>保留累计概率达到此值的最小 token 集合</translation>
    </message>
    <message>
        <source>keep only the k likeliest tokens (0 = all)</source>
        <translation>只保留可能性最高的 k 个 token（0 = 全部）</translation>
    </message>
    <message>
        <source>drop tokens less likely than this fraction of the likeliest</source>
        <translation>舍弃概率低于“最高概率 × 此值”的 token</translation>
    </message>
    <message>
        <source>discourage repeating recent tokens (1 = off)</source>
        <translation>抑制重复最近出现过的 token（1 = 关闭）</translation>
    </message>
    <message>
        <source>the longest reply, in tokens</source>
        <translation>回复的最大长度（以 token 计）</translation>
    </message>
    <message>
        <source>the same seed and settings give the same reply</source>
        <translation>相同的种子和设置会生成相同的回复</translation>
    </message>
    <message>
        <source>random</source>
        <translation>随机</translation>
    </message>
    <message>
        <source>Defaults</source>
        <translation>恢复默认</translation>
    </message>
    <message>
        <source>Saved with this conversation; used from the next reply on. A new conversation starts from the defaults.</source>
        <translation>随此对话保存；从下一条回复起生效。新对话从默认值开始。</translation>
    </message>
    <message>
        <source>System prompt</source>
        <translation>系统提示词</translation>
    </message>
    <message>
        <source>Sampling</source>
        <translation>采样</translation>
    </message>
    <message>
        <source>Temperature</source>
        <translation>温度</translation>
    </message>
    <message>
        <source>Top-p</source>
        <translation>Top-p</translation>
    </message>
    <message>
        <source>Top-k</source>
        <translation>Top-k</translation>
    </message>
    <message>
        <source>Min-p</source>
        <translation>Min-p</translation>
    </message>
    <message>
        <source>Repeat penalty</source>
        <translation>重复惩罚</translation>
    </message>
    <message>
        <source>Max tokens</source>
        <translation>最大 token 数</translation>
    </message>
    <message>
        <source>Seed</source>
        <translation>种子</translation>
    </message>
</context>
<context>
    <name>ConversationStore</name>
    <message>
        <source>New conversation</source>
        <translation>新对话</translation>
    </message>
    <message>
        <source>This conversation no longer exists (it was deleted, perhaps in another KV Chat window).</source>
        <translation>此对话已不存在（它已被删除，也许是在另一个 KV Chat 窗口中）。</translation>
    </message>
    <message>
        <source>The conversation database {path} is damaged.</source>
        <translation>对话数据库 {path} 已损坏。</translation>
    </message>
    <message>
        <source>The conversation database {path} cannot be opened: {error}</source>
        <translation>无法打开对话数据库 {path}：{error}</translation>
    </message>
    <message>
        <source>Saving to {path} failed: {error}</source>
        <translation>保存到 {path} 失败：{error}</translation>
    </message>
    <message>
        <source>Saving the message to {path} failed: {error}</source>
        <translation>无法将消息保存到 {path}：{error}</translation>
    </message>
    <message>
        <source>The conversation database was damaged. It was kept as {name} and a new one was started.</source>
        <translation>对话数据库已损坏。原文件已保留为 {name}，并已新建一个数据库。</translation>
    </message>
    <message>
        <source>Conversations cannot be saved ({reason}). This window keeps them until it closes; check that {folder} is writable and that no other KV Chat uses it.</source>
        <translation>无法保存对话（{reason}）。在此窗口关闭之前，对话会一直保留；请检查 {folder} 是否可写，以及是否有另一个 KV Chat 正在使用它。</translation>
    </message>
    <message>
        <source>The conversation database {path} is no longer the file KV Chat opened, so nothing was written. Try again.</source>
        <translation>对话数据库 {path} 已不是 KV Chat 打开的那个文件，因此没有写入任何内容。请重试。</translation>
    </message>
    <message>
        <source>The log file of the conversation database ({log}) was deleted while KV Chat was running. Everything was written back into {path}; nothing was lost.</source>
        <translation>KV Chat 运行期间，对话数据库的日志文件（{log}）被删除了。所有内容都已写回 {path}，没有丢失任何东西。</translation>
    </message>
    <message>
        <source>The conversation database {path} was deleted while KV Chat was running. Everything this window held was saved to it again.</source>
        <translation>KV Chat 运行期间，对话数据库 {path} 被删除了。此窗口中的所有内容都已重新保存到该位置。</translation>
    </message>
    <message>
        <source>The conversation database {path} was replaced by something else while KV Chat was running, so nothing was written there. Everything this window held was saved to {saved}. To go on using it, quit KV Chat, move {path} away and rename {saved} to {name}.</source>
        <translation>KV Chat 运行期间，对话数据库 {path} 被别的东西替换了，因此没有向那里写入任何内容。此窗口中的所有内容已保存到 {saved}。若要继续使用它，请退出 KV Chat，把 {path} 移走，再把 {saved} 重命名为 {name}。</translation>
    </message>
</context>
<context>
    <name>Conversations</name>
    <message>
        <source>The list of conversations could not be read ({reason}).</source>
        <translation>无法读取对话列表（{reason}）。</translation>
    </message>
    <message>
        <source>This conversation cannot be shown ({reason}), so a new one was started. Nothing was deleted.</source>
        <translation>无法显示此对话（{reason}），因此已新建一个对话。没有删除任何内容。</translation>
    </message>
</context>
<context>
    <name>DryRun</name>
    <message>
        <source>llama.cpp&apos;s dry run of this load failed: {error}</source>
        <translation>llama.cpp 对这次加载的试运行失败：{error}</translation>
    </message>
    <message>
        <source>it gave no reason</source>
        <translation>它没有给出原因</translation>
    </message>
</context>
<context>
    <name>EngineError</name>
    <message>
        <source>{message}
llama.cpp said:
{log}</source>
        <translation>{message}
llama.cpp 的输出：
{log}</translation>
    </message>
</context>
<context>
    <name>EngineHost</name>
    <message>
        <source>The engine has been shut down.</source>
        <translation>引擎已关闭。</translation>
    </message>
    <message>
        <source>Loading failed unexpectedly: {error}</source>
        <translation>加载意外失败：{error}</translation>
    </message>
    <message>
        <source>{error}
The previous model was loaded again.</source>
        <translation>{error}
已重新加载之前的模型。</translation>
    </message>
</context>
<context>
    <name>GpuBox</name>
    <message>
        <source>GPU</source>
        <translation>GPU</translation>
    </message>
    <message>
        <source>Auto</source>
        <translation>自动</translation>
    </message>
    <message>
        <source>As many layers as fit in the GPU&apos;s free memory, keeping 1 GiB free (llama.cpp&apos;s own margin)</source>
        <translation>GPU 空闲显存能容纳多少层就放多少层，并保留 1 GiB 空闲（llama.cpp 自己的余量）</translation>
    </message>
    <message>
        <source>All</source>
        <translation>全部</translation>
    </message>
    <message>
        <source>Every layer and the output layer on the GPU</source>
        <translation>所有层和输出层都放在 GPU 上</translation>
    </message>
    <message>
        <source>None</source>
        <translation>不使用</translation>
    </message>
    <message>
        <source>Everything on the CPU</source>
        <translation>全部在 CPU 上运行</translation>
    </message>
    <message>
        <source>Number…</source>
        <translation>指定层数…</translation>
    </message>
    <message>
        <source>This many layers on the GPU, counting the output layer as one, as llama.cpp does</source>
        <translation>把这么多层放在 GPU 上，输出层算作一层，与 llama.cpp 的计法相同</translation>
    </message>
    <message>
        <source>KV cache in VRAM</source>
        <translation>KV 缓存放在显存中</translation>
    </message>
    <message>
        <source>Each layer on the GPU keeps its K and V there (fastest). Off: the cache stays in RAM and attention runs on the CPU, leaving VRAM for weights (llama.cpp&apos;s --no-kv-offload).</source>
        <translation>放在 GPU 上的每一层把它的 K 和 V 也放在那里（最快）。关闭时：缓存留在内存中，注意力在 CPU 上计算，把显存留给权重（即 llama.cpp 的 --no-kv-offload）。</translation>
    </message>
    <message>
        <source>Spread layers over all GPUs</source>
        <translation>把层分布到所有 GPU 上</translation>
    </message>
    <message>
        <source>First GPU only</source>
        <translation>只用第一块 GPU</translation>
    </message>
    <message>
        <source>Several GPUs</source>
        <translation>多块 GPU</translation>
    </message>
    <message>
        <source>Layers on the GPU</source>
        <translation>GPU 上的层数</translation>
    </message>
    <message>
        <source>This build of llama.cpp has no GPU backend, or found no GPU: everything runs on the CPU. The README says how to install it with CUDA, Metal or Vulkan.</source>
        <translation>这个 llama.cpp 版本没有 GPU 后端，或没有找到 GPU：一切都在 CPU 上运行。README 说明了如何安装 CUDA、Metal 或 Vulkan 版本。</translation>
    </message>
    <message>
        <source>&lt;b&gt;{name}&lt;/b&gt; {description} ({backend}): {free} free of {total}</source>
        <translation>&lt;b&gt;{name}&lt;/b&gt; {description}（{backend}）：{total} 中空闲 {free}</translation>
    </message>
    <message>
        <source>{n} of {total} layers on the GPU, the output layer on {output} (llama.cpp&apos;s n_gpu_layers {ngl}).</source>
        <translation>{total} 层中有 {n} 层在 GPU 上，输出层在 {output}（llama.cpp 的 n_gpu_layers 为 {ngl}）。</translation>
    </message>
    <message>
        <source>VRAM {name}</source>
        <translation>显存 {name}</translation>
    </message>
    <message>
        <source>RAM</source>
        <translation>内存</translation>
    </message>
    <message>
        <source>fits</source>
        <translation>放得下</translation>
    </message>
    <message>
        <source>does not fit</source>
        <translation>放不下</translation>
    </message>
    <message>
        <source> · saves {saving} against f16</source>
        <translation> · 比 f16 节省 {saving}</translation>
    </message>
    <message>
        <source>&lt;b&gt;{place}&lt;/b&gt;: weights {weights} · K {k} · V {v} · compute ~{compute} = {total} of {free} free &lt;span style=&apos;color:{color}&apos;&gt;{verdict}&lt;/span&gt;{saving}</source>
        <translation>&lt;b&gt;{place}&lt;/b&gt;：权重 {weights} · K {k} · V {v} · 计算约 {compute} = {total}，空闲 {free} &lt;span style=&apos;color:{color}&apos;&gt;{verdict}&lt;/span&gt;{saving}</translation>
    </message>
    <message>
        <source>Slow on this build: {reason}</source>
        <translation>在这个版本上较慢：{reason}</translation>
    </message>
</context>
<context>
    <name>HistoryFit</name>
    <message>
        <source>This conversation needs {needed:,} tokens with room for the reply, but the context holds {n_ctx:,}. Start a new conversation, load the model with a longer context, or let the oldest messages be left out (KV cache → Context).</source>
        <translation>此对话（加上为回复预留的空间）需要 {needed:,} 个 token，但上下文只能容纳 {n_ctx:,} 个。请新建对话、以更长的上下文加载模型，或允许省略最早的消息（KV 缓存 → 上下文）。</translation>
    </message>
    <message>
        <source>This conversation needs {needed:,} tokens with room for the reply, but the context holds {n_ctx:,}. Start a new conversation, or load the model with a longer context.</source>
        <translation>此对话（加上为回复预留的空间）需要 {needed:,} 个 token，但上下文只能容纳 {n_ctx:,} 个。请新建对话，或以更长的上下文加载模型。</translation>
    </message>
    <message>
        <source>The last message alone needs {needed:,} tokens with room for the reply, but the context holds {n_ctx:,}. Shorten it, or load the model with a longer context.</source>
        <translation>仅最后一条消息（加上为回复预留的空间）就需要 {needed:,} 个 token，但上下文只能容纳 {n_ctx:,} 个。请缩短这条消息，或以更长的上下文加载模型。</translation>
    </message>
</context>
<context>
    <name>KeptCache</name>
    <message>
        <source>its saved file was damaged and has been removed</source>
        <translation>它保存的文件已损坏，已删除</translation>
    </message>
    <message>
        <source>The kept-cache folder {folder} cannot be used: {error}</source>
        <translation>无法使用保留缓存的文件夹 {folder}：{error}</translation>
    </message>
    <message>
        <source>A conversation&apos;s cache could not be saved to {folder}: {error}. It will be read again after a restart.</source>
        <translation>无法把对话的缓存保存到 {folder}：{error}。重启后将重新读取。</translation>
    </message>
    <message>
        <source>it was made with another model file</source>
        <translation>它是用另一个模型文件生成的</translation>
    </message>
    <message>
        <source>the model file has changed since</source>
        <translation>模型文件此后已改变</translation>
    </message>
    <message>
        <source>it was made by llama.cpp {then}, this is {now}</source>
        <translation>它由 llama.cpp {then} 生成，当前为 {now}</translation>
    </message>
    <message>
        <source>the cache was {then}, now {now}</source>
        <translation>缓存原为 {then}，现为 {now}</translation>
    </message>
    <message>
        <source>the context was {then:,} tokens, now {now:,}</source>
        <translation>上下文原为 {then:,} 个 token，现为 {now:,}</translation>
    </message>
    <message>
        <source>the compact window was on, now off</source>
        <translation>紧凑窗口原为开启，现已关闭</translation>
    </message>
    <message>
        <source>the compact window was off, now on</source>
        <translation>紧凑窗口原为关闭，现已开启</translation>
    </message>
    <message>
        <source>flash attention was on, now off</source>
        <translation>Flash Attention 原为开启，现已关闭</translation>
    </message>
    <message>
        <source>flash attention was off, now on</source>
        <translation>Flash Attention 原为关闭，现已开启</translation>
    </message>
    <message>
        <source>LLAMA_ATTN_ROT_DISABLE was &quot;{then}&quot;, now &quot;{now}&quot;</source>
        <translation>LLAMA_ATTN_ROT_DISABLE 原为 &quot;{then}&quot;，现为 &quot;{now}&quot;</translation>
    </message>
</context>
<context>
    <name>KeptCachesControl</name>
    <message>
        <source>(a conversation no longer stored)</source>
        <translation>（已不再保存的对话）</translation>
    </message>
    <message>
        <source>{size} on disk</source>
        <translation>磁盘上 {size}</translation>
    </message>
    <message>
        <source>not on disk yet</source>
        <translation>尚未写入磁盘</translation>
    </message>
    <message>
        <source>{size} in RAM</source>
        <translation>内存中 {size}</translation>
    </message>
    <message>
        <source>not in RAM</source>
        <translation>不在内存中</translation>
    </message>
    <message>
        <source>Cache kept: {tokens:,} tokens, {types}; {disk}, {ram}; {f16} at f16</source>
        <translation>已保留缓存：{tokens:,} 个 token，{types}；{disk}，{ram}；f16 时为 {f16}</translation>
    </message>
    <message>
        <source>One kept cache forgotten ({size} on disk freed).</source>
        <translation>已丢弃 1 个保留的缓存（释放磁盘 {size}）。</translation>
    </message>
    <message>
        <source>{count} kept caches forgotten ({size} on disk freed).</source>
        <translation>已丢弃 {count} 个保留的缓存（释放磁盘 {size}）。</translation>
    </message>
</context>
<context>
    <name>KeptCachesDialog</name>
    <message>
        <source>Kept caches</source>
        <translation>保留的缓存</translation>
    </message>
    <message>
        <source>When a reply ends, the conversation&apos;s KV cache is kept, in its own K and V types, so that coming back to the conversation, even after a restart, does not read its prompt again. The most recently used caches stay in RAM and on disk within the budgets below.</source>
        <translation>每次回复结束时，对话的 KV 缓存会按其自身的 K 和 V 类型保留下来，这样回到该对话时（即使在重启之后）无需重新读取提示词。最近使用的缓存在下列预算内保留在内存和磁盘上。</translation>
    </message>
    <message>
        <source>Conversation</source>
        <translation>对话</translation>
    </message>
    <message>
        <source>Tokens</source>
        <translation>Token</translation>
    </message>
    <message>
        <source>K / V</source>
        <translation>K / V</translation>
    </message>
    <message>
        <source>In RAM</source>
        <translation>在内存中</translation>
    </message>
    <message>
        <source>On disk</source>
        <translation>磁盘上</translation>
    </message>
    <message>
        <source>At f16</source>
        <translation>f16 时</translation>
    </message>
    <message>
        <source>Last used</source>
        <translation>上次使用</translation>
    </message>
    <message>
        <source>No conversation&apos;s cache is kept yet.</source>
        <translation>尚未保留任何对话的缓存。</translation>
    </message>
    <message>
        <source>Forget selected</source>
        <translation>丢弃所选</translation>
    </message>
    <message>
        <source>Forget all</source>
        <translation>全部丢弃</translation>
    </message>
    <message>
        <source>Apply</source>
        <translation>应用</translation>
    </message>
    <message>
        <source>Budgets</source>
        <translation>预算</translation>
    </message>
    <message>
        <source>0 keeps none. A lower budget lets go of the least recently used caches at once; a forgotten cache only means its prompt is read again.</source>
        <translation>0 表示不保留。降低预算会立即释放最久未使用的缓存；丢弃缓存只意味着下次需要重新读取提示词。</translation>
    </message>
    <message>
        <source>Kept in {folder}</source>
        <translation>保存在 {folder}</translation>
    </message>
    <message>
        <source> MiB</source>
        <translation> MiB</translation>
    </message>
    <message>
        <source>keep none</source>
        <translation>不保留</translation>
    </message>
    <message>
        <source>Together: {disk} on disk · {ram} in RAM · {f16} at f16</source>
        <translation>合计：磁盘上 {disk} · 内存中 {ram} · f16 时为 {f16}</translation>
    </message>
    <message>
        <source>The chat is talking to a server: these caches are for the model on this computer and are not used until you go back to it.</source>
        <translation>聊天正连接着服务器：这些缓存属于本机上的模型，在你切换回本机之前不会使用。</translation>
    </message>
</context>
<context>
    <name>KvLab</name>
    <message>
        <source>Writing the reference text with f16/f16: {done:,} of {total:,} tokens</source>
        <translation>用 f16/f16 写参考文本：{done:,} / {total:,} 个 token</translation>
    </message>
    <message>
        <source>Measuring {pair}: {done:,} of {total:,} tokens read</source>
        <translation>正在测量 {pair}：已读 {done:,} / {total:,} 个 token</translation>
    </message>
    <message>
        <source>Measuring {pair}: generation speed</source>
        <translation>正在测量 {pair}：生成速度</translation>
    </message>
    <message>
        <source>The reference text is too short to measure: it needs at least a few dozen tokens.</source>
        <translation>参考文本太短，无法测量：至少需要几十个 token。</translation>
    </message>
    <message>
        <source>f16/f16 (the reference)</source>
        <translation>f16/f16（参考）</translation>
    </message>
    <message>
        <source>llama.cpp could not create a measuring context: {error}</source>
        <translation>llama.cpp 无法创建用于测量的上下文：{error}</translation>
    </message>
    <message>
        <source>llama.cpp could not evaluate {n} tokens at position {pos} of the {cells}-cell measuring context ({why}).</source>
        <translation>llama.cpp 无法在 {cells} 个单元的测量上下文中从位置 {pos} 计算 {n} 个 token（{why}）。</translation>
    </message>
    <message>
        <source>the same next word as f16 {percent} % of the time</source>
        <translation>{percent} % 的情况下下一个词与 f16 相同</translation>
    </message>
</context>
<context>
    <name>KvPanel</name>
    <message>
        <source>Quality</source>
        <translation>质量优先</translation>
    </message>
    <message>
        <source>Balanced</source>
        <translation>均衡</translation>
    </message>
    <message>
        <source>Long context</source>
        <translation>长上下文</translation>
    </message>
    <message>
        <source>Maximum context</source>
        <translation>最长上下文</translation>
    </message>
    <message>
        <source>Auto</source>
        <translation>自动</translation>
    </message>
    <message>
        <source>On exactly when V is quantized (required there); off otherwise, as it slows an f16 cache on CPU.</source>
        <translation>仅在 V 量化时开启（此时必须开启）；否则关闭，因为它会在 CPU 上拖慢 f16 缓存。</translation>
    </message>
    <message>
        <source>On</source>
        <translation>开启</translation>
    </message>
    <message>
        <source>Always on. A quantized V cache needs it.</source>
        <translation>始终开启。量化的 V 缓存需要它。</translation>
    </message>
    <message>
        <source>Off</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Always off. Only f32, f16 and bf16 V caches work without it.</source>
        <translation>始终关闭。不开启时，V 缓存只能使用 f32、f16 或 bf16。</translation>
    </message>
    <message>
        <source>4-bit: 28% of f16, the smallest; on the keys the loss is model-dependent (the KV lab measures it).</source>
        <translation>4 位：f16 的 28%，最小；用在键上时损失因模型而异（KV 实验室可测量）。</translation>
    </message>
    <message>
        <source>4-bit: 28% of f16, the smallest; on the values the loss is usually small (the KV lab measures it).</source>
        <translation>4 位：f16 的 28%，最小；用在值上时损失通常较小（KV 实验室可测量）。</translation>
    </message>
    <message>
        <source>Keys</source>
        <translation>键</translation>
    </message>
    <message>
        <source>Values</source>
        <translation>值</translation>
    </message>
    <message>
        <source>{cache}: {meaning}</source>
        <translation>{cache}：{meaning}</translation>
    </message>
    <message>
        <source>Open…</source>
        <translation>打开…</translation>
    </message>
    <message>
        <source>Open a .gguf model file (or drop one on the window)</source>
        <translation>打开 .gguf 模型文件（或将文件拖放到窗口上）</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>KV cache precision</source>
        <translation>KV 缓存精度</translation>
    </message>
    <message>
        <source>K (keys)</source>
        <translation>K（键）</translation>
    </message>
    <message>
        <source>V (values)</source>
        <translation>V（值）</translation>
    </message>
    <message>
        <source>Measure the quality cost in the KV lab…</source>
        <translation>在 KV 实验室中测量质量损失…</translation>
    </message>
    <message>
        <source>Compare each precision with f16 on this model (Ctrl+L)</source>
        <translation>在此模型上将各精度与 f16 对比（Ctrl+L）</translation>
    </message>
    <message>
        <source>Compact sliding-window cache</source>
        <translation>紧凑滑动窗口缓存</translation>
    </message>
    <message>
        <source>Leave out the oldest messages, and say so</source>
        <translation>省略最早的消息，并给出提示</translation>
    </message>
    <message>
        <source>Stop and tell me</source>
        <translation>停止并提示我</translation>
    </message>
    <message>
        <source>The system prompt and the latest messages are always kept.</source>
        <translation>系统提示词和最新的消息始终保留。</translation>
    </message>
    <message>
        <source>Context</source>
        <translation>上下文</translation>
    </message>
    <message>
        <source>Length</source>
        <translation>长度</translation>
    </message>
    <message>
        <source>Flash attention</source>
        <translation>Flash Attention</translation>
    </message>
    <message>
        <source>When a chat outgrows it</source>
        <translation>对话超出上下文时</translation>
    </message>
    <message>
        <source>{name}  ({bits:g} bits)</source>
        <translation>{name}  ({bits:g} 位)</translation>
    </message>
    <message>
        <source>Auto: on, because V is quantized. It is required for a quantized V and slows an f16 cache on CPU.</source>
        <translation>自动：开启，因为 V 已量化。量化的 V 必须开启它，而它会在 CPU 上拖慢 f16 缓存。</translation>
    </message>
    <message>
        <source>Auto: off, because V is not quantized. It is required for a quantized V and slows an f16 cache on CPU.</source>
        <translation>自动：关闭，因为 V 未量化。量化的 V 必须开启它，而它会在 CPU 上拖慢 f16 缓存。</translation>
    </message>
    <message>
        <source>trained on {tokens:,} tokens</source>
        <translation>训练上下文 {tokens:,} token</translation>
    </message>
    <message>
        <source>sliding window {tokens}</source>
        <translation>滑动窗口 {tokens}</translation>
    </message>
    <message>
        <source>chat template</source>
        <translation>带聊天模板</translation>
    </message>
    <message>
        <source>no chat template: plain completion</source>
        <translation>无聊天模板：纯文本补全</translation>
    </message>
    <message>
        <source>Keep only the last {tokens:,} tokens for the {layers} sliding-window layers: {compact} instead of {full} here. Editing far back then re-reads the prompt.</source>
        <translation>{layers} 个滑动窗口层只保留最后 {tokens:,} 个 token：此处占用 {compact}，而不是 {full}。之后编辑较早的消息时会重新读取提示词。</translation>
    </message>
    <message>
        <source>Loaded</source>
        <translation>已加载</translation>
    </message>
    <message>
        <source>Apply to reload with these settings</source>
        <translation>应用后将按这些设置重新加载</translation>
    </message>
    <message>
        <source>Longest context that fits on the GPU and in RAM now: {reach}</source>
        <translation>当前 GPU 和内存能容纳的最长上下文：{reach}</translation>
    </message>
    <message>
        <source>Longest context that fits in memory now: {reach}</source>
        <translation>当前内存可容纳的最长上下文：{reach}</translation>
    </message>
    <message>
        <source>With {types} the whole trained context ({tokens:,} tokens) fits.</source>
        <translation>用 {types} 可容纳整个训练上下文（{tokens:,} 个 token）。</translation>
    </message>
    <message>
        <source>The whole trained context ({tokens:,} tokens) fits on the GPU and in RAM now with {types}.</source>
        <translation>用 {types}，整个训练上下文（{tokens:,} 个 token）现在可放入 GPU 和内存。</translation>
    </message>
    <message>
        <source>The whole trained context ({tokens:,} tokens) fits in memory now with {types}.</source>
        <translation>用 {types}，整个训练上下文（{tokens:,} 个 token）现在可放入内存。</translation>
    </message>
    <message>
        <source>These are not in proportion to the types&apos; sizes: f16 runs with flash attention off (auto&apos;s choice for it), whose attention buffer grows with the context.</source>
        <translation>这些数字与各类型的大小不成比例：f16 在关闭 Flash Attention 时运行（自动模式对它的选择），其注意力缓冲区随上下文增长。</translation>
    </message>
    <message>
        <source>{type:&gt;7}: {tokens:,} tokens ({size:,.1f} MiB at this length), flash attention {fa}</source>
        <translation>{type:&gt;7}：{tokens:,} 个 token（此长度下 {size:,.1f} MiB），Flash Attention {fa}</translation>
    </message>
    <message>
        <source>on</source>
        <translation>开启</translation>
    </message>
    <message>
        <source>off</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>The model was trained on {tokens:,} tokens; the line above stops there.</source>
        <translation>模型的训练长度为 {tokens:,} 个 token；上面一行到此为止。</translation>
    </message>
</context>
<context>
    <name>KvTypes</name>
    <message>
        <source>{type} stores blocks of {block} values, which do not divide a row of {row}. Choose f16, bf16 or f32 for this model.</source>
        <translation>{type} 按每块 {block} 个值存储，无法整除长度为 {row} 的行。请为此模型选择 f16、bf16 或 f32。</translation>
    </message>
    <message>
        <source>32-bit floats: twice the memory of f16 for no gain; for debugging only.</source>
        <translation>32 位浮点：内存是 f16 的两倍，却毫无收益；仅用于调试。</translation>
    </message>
    <message>
        <source>16-bit floats: llama.cpp&apos;s default and the reference for quality.</source>
        <translation>16 位浮点：llama.cpp 的默认类型，也是衡量质量的基准。</translation>
    </message>
    <message>
        <source>16-bit brain floats: same memory as f16, wider range, coarser steps.</source>
        <translation>16 位 brain float：内存与 f16 相同，数值范围更大，精度更粗。</translation>
    </message>
    <message>
        <source>8-bit: about half of f16; the loss is usually too small to notice.</source>
        <translation>8 位：约为 f16 的一半；损失通常小到难以察觉。</translation>
    </message>
    <message>
        <source>5-bit with offset: 38% of f16; a small loss.</source>
        <translation>5 位带偏移：f16 的 38%；损失较小。</translation>
    </message>
    <message>
        <source>5-bit: 34% of f16; a small loss.</source>
        <translation>5 位：f16 的 34%；损失较小。</translation>
    </message>
    <message>
        <source>4-bit with offset: 31% of f16; a loss some models show.</source>
        <translation>4 位带偏移：f16 的 31%；部分模型会出现可见的损失。</translation>
    </message>
    <message>
        <source>4-bit: 28% of f16, the smallest; on K the loss is model-dependent.</source>
        <translation>4 位：f16 的 28%，最小；用于 K 时损失因模型而异。</translation>
    </message>
    <message>
        <source>4-bit non-linear: the size of q4_0 with a finer value grid.</source>
        <translation>4 位非线性：大小与 q4_0 相同，取值网格更精细。</translation>
    </message>
    <message>
        <source>&apos;{name}&apos; is not a KV cache type llama.cpp can use safely. Choose one of: {types}.</source>
        <translation>“{name}”不是 llama.cpp 可以安全使用的 KV 缓存类型。请从以下类型中选择：{types}。</translation>
    </message>
    <message>
        <source>ggml type id {id} is not one of the nine KV cache types.</source>
        <translation>ggml 类型编号 {id} 不属于这九种 KV 缓存类型。</translation>
    </message>
</context>
<context>
    <name>LabWindow</name>
    <message>
        <source>K / V</source>
        <translation>K / V</translation>
    </message>
    <message>
        <source>FA</source>
        <translation>FA</translation>
    </message>
    <message>
        <source>KV MiB</source>
        <translation>KV MiB</translation>
    </message>
    <message>
        <source>saving %</source>
        <translation>节省 %</translation>
    </message>
    <message>
        <source>KL mean</source>
        <translation>KL 均值</translation>
    </message>
    <message>
        <source>KL p99</source>
        <translation>KL p99</translation>
    </message>
    <message>
        <source>top-1 %</source>
        <translation>top-1 一致 %</translation>
    </message>
    <message>
        <source>PPL ratio</source>
        <translation>困惑度比</translation>
    </message>
    <message>
        <source>prompt tok/s</source>
        <translation>提示词 tok/s</translation>
    </message>
    <message>
        <source>gen tok/s</source>
        <translation>生成 tok/s</translation>
    </message>
    <message>
        <source>built-in</source>
        <translation>内置</translation>
    </message>
    <message>
        <source>conversation</source>
        <translation>对话</translation>
    </message>
    <message>
        <source>KV lab</source>
        <translation>KV 实验室</translation>
    </message>
    <message>
        <source>Built-in text (the model&apos;s own continuation, English and Chinese)</source>
        <translation>内置文本（模型自己的续写，含英文和中文）</translation>
    </message>
    <message>
        <source>This conversation</source>
        <translation>当前对话</translation>
    </message>
    <message>
        <source>A text file…</source>
        <translation>文本文件…</translation>
    </message>
    <message>
        <source>Presets: q8_0/q8_0, q8_0/q4_0, q4_0/q4_0</source>
        <translation>预设：q8_0/q8_0、q8_0/q4_0、q4_0/q4_0</translation>
    </message>
    <message>
        <source>All 81 K/V pairs (minutes)</source>
        <translation>全部 81 种 K/V 组合（需数分钟）</translation>
    </message>
    <message>
        <source> tokens</source>
        <translation> token</translation>
    </message>
    <message>
        <source>Measure</source>
        <translation>测量</translation>
    </message>
    <message>
        <source>Compares each cache with f16/f16 on the same tokens (as llama-perplexity --kl-divergence does). Results are kept per model, so a second look is instant.</source>
        <translation>在相同的 token 上将每种缓存与 f16/f16 对比（与 llama-perplexity --kl-divergence 的做法相同）。结果按模型保存，再次查看时立即显示。</translation>
    </message>
    <message>
        <source>Text</source>
        <translation>文本</translation>
    </message>
    <message>
        <source>Pairs</source>
        <translation>组合</translation>
    </message>
    <message>
        <source>Score</source>
        <translation>评分</translation>
    </message>
    <message>
        <source>The mean KL divergence you accept (f16/f16 is 0; the noise floor is typical)</source>
        <translation>可接受的平均 KL 散度（f16/f16 为 0；噪声基线是常见的取值）</translation>
    </message>
    <message>
        <source>Use in the KV panel</source>
        <translation>在 KV 面板中使用</translation>
    </message>
    <message>
        <source>Quality budget (mean KL)</source>
        <translation>质量预算（平均 KL）</translation>
    </message>
    <message>
        <source>&lt;b&gt;Memory planner&lt;/b&gt;: total memory against context length, and the longest context each cache fits in the memory available now</source>
        <translation>&lt;b&gt;内存规划&lt;/b&gt;：总内存随上下文长度的变化，以及每种缓存在当前可用内存中能容纳的最长上下文</translation>
    </message>
    <message>
        <source>Load a model first.</source>
        <translation>请先加载模型。</translation>
    </message>
    <message>
        <source>Measuring… the chat waits until this finishes.</source>
        <translation>正在测量…完成之前对话将暂停。</translation>
    </message>
    <message>
        <source>Cancelled.</source>
        <translation>已取消。</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>A text to score</source>
        <translation>选择要评分的文本</translation>
    </message>
    <message>
        <source>Text (*.txt *.md)</source>
        <translation>文本 (*.txt *.md)</translation>
    </message>
    <message>
        <source>All files (*)</source>
        <translation>所有文件 (*)</translation>
    </message>
    <message>
        <source>File: {path}</source>
        <translation>文件：{path}</translation>
    </message>
    <message numerus="yes">
        <source>%n tokens of {source} text scored in {seconds:.0f} s, {cached} from the cache. KV bytes priced at {n_ctx:,} tokens.</source>
        <translation>
            <numerusform>已对“{source}”文本的 %n 个 token 完成评分，用时 {seconds:.0f} s，其中 {cached} 组结果来自缓存。KV 字节数按 {n_ctx:,} 个 token 计算。</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n tokens of {source} text scored in {seconds:.0f} s. KV bytes priced at {n_ctx:,} tokens.</source>
        <translation>
            <numerusform>已对“{source}”文本的 %n 个 token 完成评分，用时 {seconds:.0f} s。KV 字节数按 {n_ctx:,} 个 token 计算。</numerusform>
        </translation>
    </message>
    <message>
        <source>{pair} (reference)</source>
        <translation>{pair}（参考）</translation>
    </message>
    <message>
        <source>{pair} (noise floor)</source>
        <translation>{pair}（噪声基线）</translation>
    </message>
    <message>
        <source>on</source>
        <translation>开启</translation>
    </message>
    <message>
        <source>off</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Median of the reads of the text, one per sequence; in brackets the slowest and fastest.</source>
        <translation>逐个序列读取文本的中位数；括号内为最慢和最快。</translation>
    </message>
    <message>
        <source>Median of {runs} runs of {tokens} generated tokens; in brackets the slowest and fastest.</source>
        <translation>{runs} 次生成 {tokens} 个 token 的中位数；括号内为最慢和最快。</translation>
    </message>
    <message>
        <source>Smallest cache within the budget: &lt;b&gt;K {type_k} / V {type_v}&lt;/b&gt;, {size:,.1f} MiB at {n_ctx:,} tokens (saves {percent:.0f} %): {words}. It fits &lt;b&gt;the whole trained context ({trained:,})&lt;/b&gt; in the {available:.1f} GiB available.</source>
        <translation>预算内最小的缓存：&lt;b&gt;K {type_k} / V {type_v}&lt;/b&gt;，{n_ctx:,} 个 token 时 {size:,.1f} MiB（节省 {percent:.0f} %）：{words}。在可用的 {available:.1f} GiB 中可容纳&lt;b&gt;整个训练上下文（{trained:,}）&lt;/b&gt;。</translation>
    </message>
    <message>
        <source>Smallest cache within the budget: &lt;b&gt;K {type_k} / V {type_v}&lt;/b&gt;, {size:,.1f} MiB at {n_ctx:,} tokens (saves {percent:.0f} %): {words}. It fits &lt;b&gt;{reach}&lt;/b&gt; tokens in the {available:.1f} GiB available (trained on {trained:,}).</source>
        <translation>预算内最小的缓存：&lt;b&gt;K {type_k} / V {type_v}&lt;/b&gt;，{n_ctx:,} 个 token 时 {size:,.1f} MiB（节省 {percent:.0f} %）：{words}。在可用的 {available:.1f} GiB 中可容纳 &lt;b&gt;{reach}&lt;/b&gt; 个 token（训练长度 {trained:,}）。</translation>
    </message>
    <message>
        <source>Smallest cache within the budget: &lt;b&gt;K {type_k} / V {type_v}&lt;/b&gt;, {size:,.1f} MiB at {n_ctx:,} tokens (saves {percent:.0f} %): {words}. It fits &lt;b&gt;{reach}&lt;/b&gt; tokens in the {available:.1f} GiB available.</source>
        <translation>预算内最小的缓存：&lt;b&gt;K {type_k} / V {type_v}&lt;/b&gt;，{n_ctx:,} 个 token 时 {size:,.1f} MiB（节省 {percent:.0f} %）：{words}。在可用的 {available:.1f} GiB 中可容纳 &lt;b&gt;{reach}&lt;/b&gt; 个 token。</translation>
    </message>
    <message>
        <source>{pair}: mean KL {kl:.4f}, {words}; saves {percent:.0f} %</source>
        <translation>{pair}：平均 KL {kl:.4f}，{words}；节省 {percent:.0f} %</translation>
    </message>
</context>
<context>
    <name>LoadConfig</name>
    <message>
        <source>{name} must be a number of threads from 1 to {max}, not {value}.</source>
        <translation>{name} 必须是 1 到 {max} 之间的线程数，而不是 {value}。</translation>
    </message>
    <message>
        <source>Flash attention must be one of {modes}, not &apos;{mode}&apos;.</source>
        <translation>Flash Attention 只能取 {modes} 之一，不能是“{mode}”。</translation>
    </message>
    <message>
        <source>The context length must be a whole number of tokens, not {value}.</source>
        <translation>上下文长度必须是整数个 token，不能是 {value}。</translation>
    </message>
    <message>
        <source>The context length must be at least 1 token; {asked} was asked for.</source>
        <translation>上下文长度至少为 1 个 token，而设置的是 {asked}。</translation>
    </message>
    <message>
        <source>The context length can be at most {max:,} tokens; {asked:,} was asked for.</source>
        <translation>上下文长度最多为 {max:,} 个 token，而设置的是 {asked:,}。</translation>
    </message>
    <message>
        <source>{kind} cache type {type} packs {block} values per block, which does not divide this model&apos;s head size of {head_dim}. Choose f16, bf16 or f32 for {kind}.</source>
        <translation>{kind} 缓存类型 {type} 每块打包 {block} 个值，无法整除此模型的注意力头大小 {head_dim}。请为 {kind} 选择 f16、bf16 或 f32。</translation>
    </message>
    <message>
        <source>At {n_ctx:,} tokens one layer&apos;s {part} cache is {size:,.1f} MiB, but {device} can run operations on at most {limit:,.1f} MiB in one buffer (Vulkan&apos;s maxStorageBufferRange), and llama.cpp would stop. Choose a shorter context or a smaller cache type, or keep the KV cache in RAM.</source>
        <translation>在 {n_ctx:,} 个 token 时，一层的 {part} 缓存为 {size:,.1f} MiB，但 {device} 在一个缓冲区上最多只能对 {limit:,.1f} MiB 执行运算（Vulkan 的 maxStorageBufferRange），llama.cpp 会因此中止。请选择更短的上下文或更小的缓存类型，或把 KV 缓存留在内存中。</translation>
    </message>
    <message>
        <source>{n_ctx:,} tokens with K {type_k} / V {type_v} needs about {total:,.0f} MiB of RAM (KV cache {kv:,.1f} MiB, weights {weights:,.0f} MiB, compute {compute:,.0f} MiB), but only {available:,.0f} MiB is available. Choose a shorter context or a smaller cache type.</source>
        <translation>{n_ctx:,} 个 token、K {type_k} / V {type_v} 需要约 {total:,.0f} MiB 内存（KV 缓存 {kv:,.1f} MiB，权重 {weights:,.0f} MiB，计算 {compute:,.0f} MiB），但只有 {available:,.0f} MiB 可用。请选择更短的上下文或更小的缓存类型。</translation>
    </message>
    <message>
        <source>{n_ctx:,} tokens with K {type_k} / V {type_v} needs about {total:,.0f} MiB on {device} (KV cache {kv:,.1f} MiB, weights {weights:,.0f} MiB, compute {compute:,.0f} MiB) plus {margin:,.0f} MiB kept free, but it has {free:,.0f} MiB free. Put fewer layers on the GPU, keep the KV cache in RAM, or choose a shorter context or a smaller cache type.</source>
        <translation>{n_ctx:,} 个 token、K {type_k} / V {type_v} 在 {device} 上需要约 {total:,.0f} MiB（KV 缓存 {kv:,.1f} MiB，权重 {weights:,.0f} MiB，计算 {compute:,.0f} MiB），另需保留 {margin:,.0f} MiB 空闲，但它只有 {free:,.0f} MiB 空闲。请减少放在 GPU 上的层数、把 KV 缓存留在内存中，或选择更短的上下文或更小的缓存类型。</translation>
    </message>
    <message>
        <source>{file} holds only a vocabulary, no weights: it cannot generate text.</source>
        <translation>{file} 只包含词表，没有权重，无法生成文本。</translation>
    </message>
    <message>
        <source>A {type} V cache needs flash attention: without it llama.cpp stores V transposed, which only f32, f16 and bf16 support. Set flash attention to auto or on, or choose f16 for V.</source>
        <translation>{type} 类型的 V 缓存需要开启 Flash Attention：关闭时 llama.cpp 会转置存储 V，而只有 f32、f16 和 bf16 支持转置存储。请将 Flash Attention 设为“自动”或“开启”，或将 V 改为 f16。</translation>
    </message>
    <message>
        <source>llama.cpp allocates the cache in steps of 256 cells: {cells:,} cells for {asked:,} tokens.</source>
        <translation>llama.cpp 以 256 个单元为步长分配缓存：{asked:,} 个 token 分配 {cells:,} 个单元。</translation>
    </message>
    <message>
        <source>{n_ctx:,} tokens is beyond the {trained:,} this model was trained on; replies usually degrade past that point.</source>
        <translation>{n_ctx:,} 个 token 超出了此模型的训练上下文（{trained:,}）；超过这一长度后，回复质量通常会下降。</translation>
    </message>
    <message>
        <source>With flash attention on, llama.cpp converts an f32 cache to f16 before attention: the results equal f16 at twice the memory.</source>
        <translation>开启 Flash Attention 时，llama.cpp 会在计算注意力前把 f32 缓存转换为 f16：结果与 f16 完全相同，内存占用却是它的两倍。</translation>
    </message>
    <message>
        <source>This model has no sliding-window layers; the compact window setting has no effect.</source>
        <translation>此模型没有滑动窗口层，紧凑窗口缓存设置不起作用。</translation>
    </message>
    <message>
        <source>The KV estimate is approximate: {note}.</source>
        <translation>KV 估算值仅为近似：{note}。</translation>
    </message>
    <message>
        <source>The GPU split must be one of {modes}, not &apos;{mode}&apos;.</source>
        <translation>GPU 分配方式必须是 {modes} 之一，而不是“{mode}”。</translation>
    </message>
    <message>
        <source>There is no GPU number {main}: this computer has {count} (numbered from 0).</source>
        <translation>没有编号为 {main} 的 GPU：这台电脑有 {count} 块（从 0 开始编号）。</translation>
    </message>
    <message>
        <source>GPU layers must be between 0 and {max} for this model ({layers} layers and the output layer); {asked} was asked for.</source>
        <translation>这个模型的 GPU 层数必须在 0 到 {max} 之间（{layers} 层加输出层）；请求的是 {asked}。</translation>
    </message>
    <message>
        <source>GPU layers must be auto, all, none or a number of layers, not {value}.</source>
        <translation>GPU 层数必须是 auto、all、none 或一个层数，而不是 {value}。</translation>
    </message>
    <message>
        <source>This build of llama.cpp has no GPU, or found none: every layer runs on the CPU.</source>
        <translation>这个 llama.cpp 版本没有 GPU，或没有找到 GPU：所有层都在 CPU 上运行。</translation>
    </message>
    <message>
        <source>Auto puts {n} of {total} layers on the GPU: that is what fits in its free memory with a margin. The rest run on the CPU, which is slower.</source>
        <translation>自动模式把 {total} 层中的 {n} 层放在 GPU 上：这是留出余量后其空闲显存能容纳的层数。其余层在 CPU 上运行，速度较慢。</translation>
    </message>
    <message>
        <source>Not even one layer fits in the GPU&apos;s free memory: every layer runs on the CPU.</source>
        <translation>GPU 的空闲显存连一层都放不下：所有层都在 CPU 上运行。</translation>
    </message>
</context>
<context>
    <name>Main</name>
    <message>
        <source>The details were written to {path}.</source>
        <translation>详细信息已写入 {path}。</translation>
    </message>
    <message>
        <source>KV Chat could not start: {reason}</source>
        <translation>KV Chat 无法启动：{reason}</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Starting…</source>
        <translation>正在启动…</translation>
    </message>
    <message>
        <source>No conversation could be opened ({reason}).</source>
        <translation>无法打开任何对话（{reason}）。</translation>
    </message>
    <message>
        <source>No model: open a .gguf file (File → Open model…)</source>
        <translation>没有模型：请打开一个 .gguf 文件（文件 → 打开模型…）</translation>
    </message>
    <message>
        <source>The model could not be opened ({reason}). Choose another one (File → Open model…).</source>
        <translation>无法打开该模型（{reason}）。请选择另一个模型（文件 → 打开模型…）。</translation>
    </message>
    <message>
        <source>No model loaded</source>
        <translation>未加载模型</translation>
    </message>
    <message>
        <source>The KV lab is measuring; the chat waits until it finishes.</source>
        <translation>KV 实验室正在测量；对话将在测量结束后继续。</translation>
    </message>
    <message>
        <source>The KV lab is measuring…</source>
        <translation>KV 实验室正在测量…</translation>
    </message>
</context>
<context>
    <name>MarkdownRenderer</name>
    <message>
        <source>code</source>
        <translation>代码</translation>
    </message>
    <message>
        <source>Copy code</source>
        <translation>复制代码</translation>
    </message>
</context>
<context>
    <name>MemoryGauge</name>
    <message>
        <source>&lt;b&gt;Memory&lt;/b&gt;</source>
        <translation>&lt;b&gt;内存&lt;/b&gt;</translation>
    </message>
    <message>
        <source>KV cache</source>
        <translation>KV 缓存</translation>
    </message>
    <message>
        <source>at f16</source>
        <translation>f16 时</translation>
    </message>
    <message>
        <source>Context</source>
        <translation>上下文</translation>
    </message>
    <message>
        <source>Window</source>
        <translation>窗口</translation>
    </message>
    <message>
        <source>Manage…</source>
        <translation>管理…</translation>
    </message>
    <message>
        <source>1 conversation</source>
        <translation>1 个对话</translation>
    </message>
    <message>
        <source>{count} conversations</source>
        <translation>{count} 个对话</translation>
    </message>
    <message>
        <source>{disk} on disk · {ram} in RAM · {f16} at f16</source>
        <translation>磁盘上 {disk} · 内存中 {ram} · f16 时为 {f16}</translation>
    </message>
    <message>
        <source>&lt;b&gt;Kept caches&lt;/b&gt;: {count} · {link}&lt;br&gt;{sizes}</source>
        <translation>&lt;b&gt;保留的缓存&lt;/b&gt;：{count} · {link}&lt;br&gt;{sizes}</translation>
    </message>
    <message>
        <source>&lt;b&gt;Kept caches&lt;/b&gt;: none yet · {link}</source>
        <translation>&lt;b&gt;保留的缓存&lt;/b&gt;：暂无 · {link}</translation>
    </message>
    <message>
        <source>When a reply ends, the conversation&apos;s KV cache is kept so that coming back to it does not read its prompt again.
Budgets: {ram} in RAM, {disk} on disk.</source>
        <translation>每次回复结束时，对话的 KV 缓存会保留下来，回到该对话时无需重新读取提示词。
预算：内存 {ram}，磁盘 {disk}。</translation>
    </message>
    <message>
        <source>no model loaded</source>
        <translation>未加载模型</translation>
    </message>
    <message>
        <source>K ({type_k}) {k_bytes:,} bytes
V ({type_v}) {v_bytes:,} bytes</source>
        <translation>K ({type_k}) {k_bytes:,} 字节
V ({type_v}) {v_bytes:,} 字节</translation>
    </message>
    <message>
        <source>{bytes:,} bytes</source>
        <translation>{bytes:,} 字节</translation>
    </message>
    <message>
        <source>{bytes:,} bytes, as llama.cpp allocated them</source>
        <translation>{bytes:,} 字节，即 llama.cpp 实际分配的大小</translation>
    </message>
    <message>
        <source>&lt;span style=&apos;color:{color}&apos;&gt;&lt;b&gt;saves {size} ({percent:.1f} %)&lt;/b&gt;&lt;/span&gt; with K {type_k} / V {type_v}</source>
        <translation>K {type_k} / V {type_v}：&lt;span style=&apos;color:{color}&apos;&gt;&lt;b&gt;节省 {size}（{percent:.1f} %）&lt;/b&gt;&lt;/span&gt;</translation>
    </message>
    <message>
        <source>uses {size} more than f16</source>
        <translation>比 f16 多占用 {size}</translation>
    </message>
    <message>
        <source>cells holding the conversation</source>
        <translation>存放对话的单元</translation>
    </message>
    <message>
        <source>{used:,} / {total:,} tokens</source>
        <translation>{used:,} / {total:,} token</translation>
    </message>
    <message>
        <source>{used:,} / {total:,} cells</source>
        <translation>{used:,} / {total:,} 单元</translation>
    </message>
    <message>
        <source>not in the context</source>
        <translation>不在上下文中</translation>
    </message>
    <message>
        <source>Not in the context: read at its next reply</source>
        <translation>不在上下文中：下一条回复时读取</translation>
    </message>
    <message>
        <source>not in the context: what it would take</source>
        <translation>不在上下文中：所需的量</translation>
    </message>
    <message>
        <source>0 / {total:,} tokens: this conversation is empty</source>
        <translation>0 / {total:,} 个 token：此对话为空</translation>
    </message>
    <message>
        <source>{used:,} / {total:,} tokens in its kept cache, put back at its next reply</source>
        <translation>保留缓存中有 {used:,} / {total:,} 个 token，下一条回复时放回</translation>
    </message>
    <message>
        <source>Not in the context: about {used:,} / {total:,} tokens to read at its next reply</source>
        <translation>不在上下文中：下一条回复时约需读取 {used:,} / {total:,} 个 token</translation>
    </message>
    <message>
        <source>Process {size}</source>
        <translation>进程 {size}</translation>
    </message>
    <message>
        <source>weights {size}</source>
        <translation>权重 {size}</translation>
    </message>
    <message>
        <source>compute buffer {size}</source>
        <translation>计算缓冲区 {size}</translation>
    </message>
    <message>
        <source>free {size:.1f} GiB</source>
        <translation>可用 {size:.1f} GiB</translation>
    </message>
    <message>
        <source>VRAM {name}</source>
        <translation>显存 {name}</translation>
    </message>
    <message>
        <source>the device is gone</source>
        <translation>该设备已不存在</translation>
    </message>
    <message>
        <source>{free} free of {total}</source>
        <translation>{total} 中空闲 {free}</translation>
    </message>
    <message>
        <source>RAM</source>
        <translation>内存</translation>
    </message>
    <message>
        <source>KV {kv}</source>
        <translation>KV {kv}</translation>
    </message>
    <message>
        <source> — &lt;span style=&apos;color:{good}&apos;&gt;saves {size} against f16&lt;/span&gt;</source>
        <translation> — &lt;span style=&apos;color:{good}&apos;&gt;比 f16 节省 {size}&lt;/span&gt;</translation>
    </message>
    <message>
        <source>compute {size}</source>
        <translation>计算 {size}</translation>
    </message>
    <message>
        <source>&lt;b&gt;{place}&lt;/b&gt;: {parts}</source>
        <translation>&lt;b&gt;{place}&lt;/b&gt;：{parts}</translation>
    </message>
    <message>
        <source>{n} of {total} layers on the GPU</source>
        <translation>{total} 层中有 {n} 层在 GPU 上</translation>
    </message>
</context>
<context>
    <name>Menus</name>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;New conversation</source>
        <translation>新建对话(&amp;N)</translation>
    </message>
    <message>
        <source>&amp;Open model…</source>
        <translation>打开模型(&amp;O)…</translation>
    </message>
    <message>
        <source>&amp;Models on this computer and downloads…</source>
        <translation>本机模型与下载(&amp;M)…</translation>
    </message>
    <message>
        <source>&amp;Export conversation…</source>
        <translation>导出对话(&amp;E)…</translation>
    </message>
    <message>
        <source>&amp;Import conversation…</source>
        <translation>导入对话(&amp;I)…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;Chat</source>
        <translation>对话(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;Stop reply</source>
        <translation>停止回复(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;Regenerate reply</source>
        <translation>重新生成回复(&amp;R)</translation>
    </message>
    <message>
        <source>Write a &amp;message</source>
        <translation>输入消息(&amp;M)</translation>
    </message>
    <message>
        <source>&amp;Find a conversation</source>
        <translation>查找对话(&amp;F)</translation>
    </message>
    <message>
        <source>Ne&amp;xt conversation</source>
        <translation>下一个对话(&amp;X)</translation>
    </message>
    <message>
        <source>&amp;Previous conversation</source>
        <translation>上一个对话(&amp;P)</translation>
    </message>
    <message>
        <source>Re&amp;name conversation</source>
        <translation>重命名对话(&amp;N)</translation>
    </message>
    <message>
        <source>For&amp;get this conversation&apos;s kept cache</source>
        <translation>丢弃此对话保留的缓存(&amp;G)</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>&amp;Tools</source>
        <translation>工具(&amp;T)</translation>
    </message>
    <message>
        <source>KV &amp;lab…</source>
        <translation>KV 实验室(&amp;L)…</translation>
    </message>
    <message>
        <source>&amp;Kept caches…</source>
        <translation>保留的缓存(&amp;K)…</translation>
    </message>
    <message>
        <source>&amp;Connect to a server…</source>
        <translation>连接到服务器(&amp;C)…</translation>
    </message>
    <message>
        <source>&amp;Disconnect from the server</source>
        <translation>断开与服务器的连接(&amp;D)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;Keyboard shortcuts</source>
        <translation>键盘快捷键(&amp;K)</translation>
    </message>
    <message>
        <source>&amp;About KV Chat</source>
        <translation>关于 KV Chat(&amp;A)</translation>
    </message>
</context>
<context>
    <name>MessageWidget</name>
    <message>
        <source>You</source>
        <translation>你</translation>
    </message>
    <message>
        <source>Assistant</source>
        <translation>助手</translation>
    </message>
    <message>
        <source>System</source>
        <translation>系统</translation>
    </message>
    <message>
        <source>{tokens} tokens</source>
        <translation>{tokens} 个 token</translation>
    </message>
    <message>
        <source>first token {seconds:.2f} s</source>
        <translation>首个 token {seconds:.2f} s</translation>
    </message>
    <message>
        <source>prompt {prompt_tokens}, {cached_tokens} cached</source>
        <translation>提示词 {prompt_tokens}，已缓存 {cached_tokens}</translation>
    </message>
    <message>
        <source>prompt {prompt_tokens}</source>
        <translation>提示词 {prompt_tokens}</translation>
    </message>
    <message>
        <source>K {type_k} / V {type_v}</source>
        <translation>K {type_k} / V {type_v}</translation>
    </message>
    <message>
        <source>{count} oldest messages left out</source>
        <translation>已略去最早的 {count} 条消息</translation>
    </message>
    <message>
        <source>stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <source>ended by an error</source>
        <translation>因出错而中断</translation>
    </message>
    <message>
        <source>max tokens reached</source>
        <translation>已达最大 token 数</translation>
    </message>
    <message>
        <source>context full</source>
        <translation>上下文已满</translation>
    </message>
    <message>
        <source>cache restored from RAM in {ms} ms</source>
        <translation>缓存已从内存恢复，用时 {ms} ms</translation>
    </message>
    <message>
        <source>cache restored from disk in {ms} ms</source>
        <translation>缓存已从磁盘恢复，用时 {ms} ms</translation>
    </message>
    <message>
        <source>read again: {reason}</source>
        <translation>已重新读取：{reason}</translation>
    </message>
    <message>
        <source>Reading the prompt: {percent} % of {total:,} tokens…</source>
        <translation>正在读取提示词：{total:,} 个 token的 {percent} %…</translation>
    </message>
    <message>
        <source>Reading the prompt: {percent} % of {total:,} tokens, about {seconds} s left…</source>
        <translation>正在读取提示词：{total:,} 个 token的 {percent} %，约剩 {seconds} 秒…</translation>
    </message>
    <message>
        <source>Reading the prompt: {percent} % of {total:,} tokens, about {minutes} min left…</source>
        <translation>正在读取提示词：{total:,} 个 token的 {percent} %，约剩 {minutes} 分钟…</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>Copy this message as Markdown</source>
        <translation>以 Markdown 格式复制此消息</translation>
    </message>
    <message>
        <source>Edit</source>
        <translation>编辑</translation>
    </message>
    <message>
        <source>Edit this message and resend from here</source>
        <translation>编辑此消息并从此处重新发送</translation>
    </message>
    <message>
        <source>Regenerate</source>
        <translation>重新生成</translation>
    </message>
    <message>
        <source>Write this reply again (this one is kept: ‹ › flip between the versions)</source>
        <translation>重新生成此回复（当前回复会保留：用 ‹ › 在版本间切换）</translation>
    </message>
    <message>
        <source>Show the previous version of this reply</source>
        <translation>显示此回复的上一个版本</translation>
    </message>
    <message>
        <source>Show the next version of this reply</source>
        <translation>显示此回复的下一个版本</translation>
    </message>
    <message>
        <source>Version {shown} of {total} of this reply</source>
        <translation>此回复的第 {shown} 个版本，共 {total} 个</translation>
    </message>
    <message>
        <source>This message is {total:,} characters long; the first {shown:,} are shown, as plain text. Copy copies the whole message.</source>
        <translation>此消息长 {total:,} 个字符；这里以纯文本显示前 {shown:,} 个。“复制”会复制整条消息。</translation>
    </message>
</context>
<context>
    <name>ModelDownload</name>
    <message>
        <source>There is no repository &apos;{repo}&apos; (or it is private: give a token).</source>
        <translation>不存在仓库“{repo}”（也可能是私有仓库：请提供访问令牌）。</translation>
    </message>
    <message>
        <source>The hub could not be reached: {error}</source>
        <translation>无法连接到 Hub：{error}</translation>
    </message>
    <message>
        <source>The download was cancelled; starting it again continues where it stopped.</source>
        <translation>下载已取消；重新开始下载会从中断处继续。</translation>
    </message>
    <message>
        <source>&apos;{file}&apos; is not in {repo}.</source>
        <translation>{repo} 中没有“{file}”。</translation>
    </message>
    <message>
        <source>the name is empty</source>
        <translation>名称为空</translation>
    </message>
    <message>
        <source>it contains a backslash</source>
        <translation>它包含反斜杠</translation>
    </message>
    <message>
        <source>it is an absolute path</source>
        <translation>它是绝对路径</translation>
    </message>
    <message>
        <source>it contains a colon, as a drive letter does</source>
        <translation>它包含冒号（如同盘符）</translation>
    </message>
    <message>
        <source>it contains control characters</source>
        <translation>它包含控制字符</translation>
    </message>
    <message>
        <source>it has an empty, &apos;.&apos; or &apos;..&apos; folder in its path</source>
        <translation>它的路径中有空的、“.” 或 “..” 文件夹</translation>
    </message>
    <message>
        <source>&apos;{repo}&apos; is not a repository name: write it as owner/name, with letters, digits, &apos;-&apos;, &apos;_&apos; and &apos;.&apos; only.</source>
        <translation>“{repo}”不是仓库名：请写成 所有者/名称，只使用字母、数字、“-”、“_” 和 “.”。</translation>
    </message>
    <message>
        <source>The hub&apos;s answer about {repo} is not a repository&apos;s description ({error}). Check the hub address.</source>
        <translation>Hub 关于 {repo} 的回答不是仓库描述（{error}）。请检查 Hub 地址。</translation>
    </message>
    <message>
        <source>The hub names a file &apos;{file}&apos;, which is not a plain file name ({reason}); it was not downloaded.</source>
        <translation>Hub 给出的文件名“{file}”不是单纯的文件名（{reason}）；未下载。</translation>
    </message>
    <message>
        <source>&apos;{file}&apos; would be saved outside the models folder {folder}; it was not downloaded.</source>
        <translation>“{file}”会被保存到模型文件夹 {folder} 之外；未下载。</translation>
    </message>
    <message>
        <source>The hub does not say how large {file} is, so what arrives could not be checked; it was not downloaded.</source>
        <translation>Hub 没有说明 {file} 有多大，因此无法检查收到的内容；未下载。</translation>
    </message>
    <message>
        <source>The download failed: {error}. Starting it again continues where it stopped.</source>
        <translation>下载失败：{error}。重新开始下载会从中断处继续。</translation>
    </message>
    <message>
        <source>The hub answered with something other than {file} (HTTP {status}); nothing was kept.</source>
        <translation>Hub 返回的不是 {file}（HTTP {status}）；未保留任何内容。</translation>
    </message>
    <message>
        <source>The hub answered the download with HTTP {status} {reason}. Starting it again continues where it stopped.</source>
        <translation>Hub 对下载请求的回答是 HTTP {status} {reason}。重新开始下载会从中断处继续。</translation>
    </message>
    <message>
        <source>The hub redirected the download more than {count} times.</source>
        <translation>Hub 重定向下载超过了 {count} 次。</translation>
    </message>
    <message>
        <source>The hub sent more than the {size} bytes it declared for {file}; what arrived was deleted. Download it again, or from another hub.</source>
        <translation>Hub 发送的内容超过了它为 {file} 声明的 {size} 字节；收到的内容已删除。请重新下载，或从另一个 Hub 下载。</translation>
    </message>
    <message>
        <source>The hub stopped sending {file} after {done} of {total} bytes. Starting it again continues where it stopped.</source>
        <translation>Hub 发送 {file} 时在 {total} 字节中的第 {done} 字节处停止了。重新开始下载会从中断处继续。</translation>
    </message>
    <message>
        <source>{file} arrived damaged (SHA-256 {actual}… is not the hub&apos;s {expected}…); it was deleted. Download it again.</source>
        <translation>{file} 下载后已损坏（SHA-256 为 {actual}…，与 Hub 上的 {expected}… 不符），已将其删除。请重新下载。</translation>
    </message>
    <message>
        <source>{file} arrived damaged ({reason}); it was deleted. Download it again.</source>
        <translation>{file} 到达时已损坏（{reason}）；已删除。请重新下载。</translation>
    </message>
</context>
<context>
    <name>ModelFile</name>
    <message>
        <source>the file ends at byte {size}, inside its header: it is truncated.</source>
        <translation>文件在第 {size} 字节处就结束了，尚在文件头之内：文件不完整。</translation>
    </message>
    <message>
        <source>its header is damaged: {reason}.</source>
        <translation>其文件头已损坏：{reason}。</translation>
    </message>
    <message>
        <source>its header holds more than {limit:,} entries, far more than any model has: the file is damaged or not a model.</source>
        <translation>其文件头包含超过 {limit:,} 个条目，远多于任何模型：文件已损坏，或不是模型。</translation>
    </message>
    <message>
        <source>a text of {size:,} bytes where a name or a template belongs</source>
        <translation>在应为名称或模板的位置出现了 {size:,} 字节的文本</translation>
    </message>
    <message>
        <source>the header holds an unknown value type {type}: the file is damaged.</source>
        <translation>文件头包含未知的值类型 {type}：文件已损坏。</translation>
    </message>
    <message>
        <source>arrays nested more than {depth} deep</source>
        <translation>数组嵌套超过 {depth} 层</translation>
    </message>
    <message>
        <source>tensor &apos;{name}&apos; uses ggml type {type}, which this version does not know.</source>
        <translation>张量“{name}”使用了此版本无法识别的 ggml 类型 {type}。</translation>
    </message>
    <message>
        <source>the file is empty.</source>
        <translation>文件为空。</translation>
    </message>
    <message>
        <source>the file does not exist.</source>
        <translation>文件不存在。</translation>
    </message>
    <message>
        <source>this is a folder, not a model file.</source>
        <translation>这是一个文件夹，不是模型文件。</translation>
    </message>
    <message>
        <source>the file cannot be read: permission denied.</source>
        <translation>无法读取文件：权限不足。</translation>
    </message>
    <message>
        <source>the file cannot be read: {reason}.</source>
        <translation>无法读取文件：{reason}。</translation>
    </message>
    <message>
        <source>it is not a GGUF model (the file starts with {head}, a GGUF file starts with b&apos;GGUF&apos;).</source>
        <translation>它不是 GGUF 模型（文件以 {head} 开头，而 GGUF 文件以 b&apos;GGUF&apos; 开头）。</translation>
    </message>
    <message>
        <source>it is GGUF version {version}; only versions 2 and 3 are supported.</source>
        <translation>文件为 GGUF 第 {version} 版；仅支持第 2 版和第 3 版。</translation>
    </message>
    <message>
        <source>its header claims an impossible number of entries: the file is damaged.</source>
        <translation>文件头声明的条目数不可能成立：文件已损坏。</translation>
    </message>
    <message>
        <source>tensor &apos;{name}&apos; claims {dims} dimensions: the file is damaged.</source>
        <translation>张量“{name}”声称有 {dims} 个维度：文件已损坏。</translation>
    </message>
    <message>
        <source>its data alignment is not a power of two: the file is damaged.</source>
        <translation>其数据对齐值不是 2 的幂：文件已损坏。</translation>
    </message>
    <message>
        <source>it is truncated: its tensors need {needed:,} bytes but the file has {size:,} ({missing:,} missing). Download it again.</source>
        <translation>文件不完整：其张量需要 {needed:,} 字节，但文件只有 {size:,} 字节（缺少 {missing:,} 字节）。请重新下载。</translation>
    </message>
    <message>
        <source>an array of {count:,} entries</source>
        <translation>一个含 {count:,} 个条目的数组</translation>
    </message>
    <message>
        <source>its &apos;{key}&apos; should be a whole number, not {value}: the file is damaged.</source>
        <translation>其“{key}”应为整数，而不是 {value}：文件已损坏。</translation>
    </message>
    <message>
        <source>its &apos;{key}&apos; is {value:,}, outside what llama.cpp accepts ({low:,} to {high:,}).</source>
        <translation>其“{key}”为 {value:,}，超出了 llama.cpp 接受的范围（{low:,} 到 {high:,}）。</translation>
    </message>
    <message>
        <source>its header holds too many arrays to read &apos;{key}&apos;: the file is damaged.</source>
        <translation>其文件头包含的数组过多，无法读取“{key}”：文件已损坏。</translation>
    </message>
    <message>
        <source>&apos;{key}&apos; lists {listed} layers but the model has {layers}.</source>
        <translation>“{key}”列出了 {listed} 层，但模型有 {layers} 层。</translation>
    </message>
    <message>
        <source>its &apos;{key}&apos; should be text, not {value}: the file is damaged.</source>
        <translation>其“{key}”应为文本，而不是 {value}：文件已损坏。</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <source>type {number}</source>
        <translation>类型 {number}</translation>
    </message>
    <message>
        <source>its header lacks &apos;{key}&apos;, which llama.cpp needs to load it.</source>
        <translation>文件头缺少“{key}”，而 llama.cpp 需要它才能加载此模型。</translation>
    </message>
    <message>
        <source>its &apos;general.architecture&apos; is not a name: the file is damaged.</source>
        <translation>其“general.architecture”不是有效名称：文件已损坏。</translation>
    </message>
    <message>
        <source>it declares no layers: it is not a language model llama.cpp can run.</source>
        <translation>文件未声明任何层：它不是 llama.cpp 能运行的语言模型。</translation>
    </message>
    <message>
        <source>llama.cpp keeps a special cache for &apos;{arch}&apos; (recurrent, latent or shared layers)</source>
        <translation>llama.cpp 会为“{arch}”使用一种特殊缓存（循环层、潜在注意力层或共享层）</translation>
    </message>
    <message>
        <source>the sliding-window layer pattern of &apos;{arch}&apos; is not known here</source>
        <translation>本应用不了解“{arch}”的滑动窗口层分布</translation>
    </message>
    <message>
        <source>sliding-window layers use their own head size</source>
        <translation>滑动窗口层使用单独的注意力头大小</translation>
    </message>
    <message>
        <source>; </source>
        <translation>；</translation>
    </message>
    <message>
        <source>{path}: the file does not exist.</source>
        <translation>{path}：文件不存在。</translation>
    </message>
    <message>
        <source>{path}: the file cannot be read: {reason}.</source>
        <translation>{path}：无法读取文件：{reason}。</translation>
    </message>
    <message>
        <source>{name}: its header cannot be understood ({error}).</source>
        <translation>{name}：无法理解其文件头（{error}）。</translation>
    </message>
    <message>
        <source>llama.cpp would stop the whole program on this file: {reason}. The file is damaged or made for another program.</source>
        <translation>这个文件会让 llama.cpp 终止整个程序：{reason}。文件已损坏，或是为别的程序制作的。</translation>
    </message>
    <message>
        <source>it declares {count:,} layers, and llama.cpp allows 1 to {max}</source>
        <translation>它声明了 {count:,} 层，而 llama.cpp 只允许 1 到 {max} 层</translation>
    </message>
    <message>
        <source>it declares {count:,} experts, and llama.cpp allows at most {max:,}</source>
        <translation>它声明了 {count:,} 个专家，而 llama.cpp 最多允许 {max:,} 个</translation>
    </message>
    <message>
        <source>it uses {used} experts per token but has {count}</source>
        <translation>它每个 token 使用 {used} 个专家，但只有 {count} 个</translation>
    </message>
    <message>
        <source>it has {count} experts but uses none</source>
        <translation>它有 {count} 个专家，却一个也不用</translation>
    </message>
    <message>
        <source>it has {groups} expert groups for {count} experts</source>
        <translation>它为 {count} 个专家设了 {groups} 个专家组</translation>
    </message>
    <message>
        <source>its {count} experts do not split into {groups} groups with {used} used</source>
        <translation>它的 {count} 个专家无法分成 {groups} 组并使用其中 {used} 组</translation>
    </message>
    <message>
        <source>it has expert groups but no experts</source>
        <translation>它有专家组，却没有专家</translation>
    </message>
    <message>
        <source>it declares {nextn} prediction layers beyond its {layers} layers</source>
        <translation>它在 {layers} 层之外声明了 {nextn} 个预测层</translation>
    </message>
    <message>
        <source>its RoPE scaling type &apos;{type}&apos; is not one of {types}</source>
        <translation>其 RoPE 缩放类型“{type}”不是 {types} 之一</translation>
    </message>
    <message>
        <source>layer {layer} has {kv_heads} KV heads for {heads} attention heads; the heads must be a whole multiple of the KV heads</source>
        <translation>第 {layer} 层有 {kv_heads} 个 KV 头、{heads} 个注意力头；注意力头数必须是 KV 头数的整数倍</translation>
    </message>
    <message>
        <source>its K heads are {k} wide and its V heads {v}; &apos;{arch}&apos; needs them equal</source>
        <translation>其 K 头宽 {k}、V 头宽 {v}；“{arch}”要求二者相等</translation>
    </message>
    <message>
        <source>it rotates {n_rot} of each head&apos;s {size} values; &apos;{arch}&apos; needs all of them</source>
        <translation>它只对每个头的 {size} 个值中的 {n_rot} 个做旋转；“{arch}”要求全部旋转</translation>
    </message>
</context>
<context>
    <name>ModelLibrary</name>
    <message>
        <source>Hugging Face cache</source>
        <translation>Hugging Face 缓存</translation>
    </message>
    <message>
        <source>Starter model</source>
        <translation>入门模型</translation>
    </message>
    <message>
        <source>Opened in KV Chat</source>
        <translation>在 KV Chat 中打开过</translation>
    </message>
    <message>
        <source>{file}: its header cannot be read ({error}).</source>
        <translation>{file}：无法读取其文件头（{error}）。</translation>
    </message>
</context>
<context>
    <name>ModelLoading</name>
    <message>
        <source>Loading…</source>
        <translation>正在加载…</translation>
    </message>
    <message>
        <source>Loading {name}…</source>
        <translation>正在加载 {name}…</translation>
    </message>
    <message>
        <source>{name} could not be loaded ({reason}).</source>
        <translation>无法加载 {name}（{reason}）。</translation>
    </message>
    <message>
        <source>Load failed: the previous model is still loaded</source>
        <translation>加载失败：之前的模型仍在使用</translation>
    </message>
    <message>
        <source>Load failed</source>
        <translation>加载失败</translation>
    </message>
    <message>
        <source>Open a GGUF model</source>
        <translation>打开 GGUF 模型</translation>
    </message>
    <message>
        <source>GGUF models (*.gguf)</source>
        <translation>GGUF 模型 (*.gguf)</translation>
    </message>
    <message>
        <source>All files (*)</source>
        <translation>所有文件 (*)</translation>
    </message>
    <message>
        <source>{model} loaded, but {problem}: your messages are continued as plain text, not answered as a chat.</source>
        <translation>{model} 已加载，但{problem}：你的消息会作为纯文本续写，而不是作为对话来回答。</translation>
    </message>
    <message>
        <source>{model} has no chat template (it is probably a base model): your messages are continued as plain text, not answered as a chat.</source>
        <translation>{model} 没有对话模板（可能是基础模型）：你的消息会被当作普通文本续写，而不是以对话方式回答。</translation>
    </message>
    <message>
        <source>{model} · {tokens} tokens · K {type_k} / V {type_v} · flash attention on · loaded in {seconds:.1f} s</source>
        <translation>{model} · {tokens} token · K {type_k} / V {type_v} · Flash Attention 开启 · 加载用时 {seconds:.1f} s</translation>
    </message>
    <message>
        <source>{model} · {tokens} tokens · K {type_k} / V {type_v} · flash attention off · loaded in {seconds:.1f} s</source>
        <translation>{model} · {tokens} token · K {type_k} / V {type_v} · Flash Attention 关闭 · 加载用时 {seconds:.1f} s</translation>
    </message>
</context>
<context>
    <name>ModelsWindow</name>
    <message>
        <source>Models</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Filter by name, source or architecture</source>
        <translation>按名称、来源或架构筛选</translation>
    </message>
    <message>
        <source>Look again</source>
        <translation>重新查找</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Source</source>
        <translation>来源</translation>
    </message>
    <message>
        <source>Quantization</source>
        <translation>量化</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Architecture</source>
        <translation>架构</translation>
    </message>
    <message>
        <source>Trained context</source>
        <translation>训练上下文</translation>
    </message>
    <message>
        <source>In KV Chat</source>
        <translation>在 KV Chat 中</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>打开</translation>
    </message>
    <message>
        <source>On this computer: LM Studio, Hugging Face cache, GPT4All, Ollama and KV Chat</source>
        <translation>本机：LM Studio、Hugging Face 缓存、GPT4All、Ollama 和 KV Chat</translation>
    </message>
    <message>
        <source>owner/repository, e.g. bartowski/Qwen2.5-7B-Instruct-GGUF</source>
        <translation>所有者/仓库，例如 bartowski/Qwen2.5-7B-Instruct-GGUF</translation>
    </message>
    <message>
        <source>only for private or gated repositories</source>
        <translation>仅私有或受限仓库需要</translation>
    </message>
    <message>
        <source>List GGUF files</source>
        <translation>列出 GGUF 文件</translation>
    </message>
    <message>
        <source>Download</source>
        <translation>下载</translation>
    </message>
    <message>
        <source>Files are saved in {folder}</source>
        <translation>文件保存在 {folder}</translation>
    </message>
    <message>
        <source>Download from a Hugging Face repository</source>
        <translation>从 Hugging Face 仓库下载</translation>
    </message>
    <message>
        <source>Repository</source>
        <translation>仓库</translation>
    </message>
    <message>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Hub address</source>
        <translation>Hub 地址</translation>
    </message>
    <message>
        <source>Access token</source>
        <translation>访问令牌</translation>
    </message>
    <message>
        <source>Looking…</source>
        <translation>正在查找…</translation>
    </message>
    <message>
        <source>unreadable: {error}</source>
        <translation>无法读取：{error}</translation>
    </message>
    <message>
        <source>1 model found</source>
        <translation>找到 1 个模型</translation>
    </message>
    <message numerus="yes">
        <source>%n models found</source>
        <translation>
            <numerusform>找到 %n 个模型</numerusform>
        </translation>
    </message>
    <message>
        <source>No GGUF models found in the usual places. Download one below, or open any .gguf file with File → Open model.</source>
        <translation>常用位置中没有找到 GGUF 模型。请在下方下载，或通过“文件 → 打开模型”打开任意 .gguf 文件。</translation>
    </message>
    <message>
        <source>loaded</source>
        <translation>已加载</translation>
    </message>
    <message>
        <source>recent</source>
        <translation>最近</translation>
    </message>
    <message>
        <source>Write the repository as owner/name.</source>
        <translation>请按“所有者/名称”的格式填写仓库。</translation>
    </message>
    <message>
        <source>Asking {address}…</source>
        <translation>正在查询 {address}…</translation>
    </message>
    <message numerus="yes">
        <source>%n GGUF files in {repo}</source>
        <translation>
            <numerusform>{repo} 中有 %n 个 GGUF 文件</numerusform>
        </translation>
    </message>
    <message>
        <source>{repo} holds no GGUF files.</source>
        <translation>{repo} 中没有 GGUF 文件。</translation>
    </message>
    <message>
        <source>Left out, because their names are paths rather than file names: {names}</source>
        <translation>以下文件被略去，因为它们的名称是路径而不是文件名：{names}</translation>
    </message>
    <message>
        <source>Downloaded and checked: {path}</source>
        <translation>已下载并检查：{path}</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>{done} of {total}</source>
        <translation>{done} / {total}</translation>
    </message>
    <message>
        <source>{done} of {total} · {rate}/s · {minutes}:{seconds:02d} left</source>
        <translation>{done} / {total} · {rate}/s · 剩余 {minutes}:{seconds:02d}</translation>
    </message>
</context>
<context>
    <name>PlanSummary</name>
    <message>
        <source>Apply</source>
        <translation>应用</translation>
    </message>
    <message>
        <source>CPU threads: {gen} generating a reply, {read} reading a prompt</source>
        <translation>CPU 线程：生成回复 {gen} 个，读取提示 {read} 个</translation>
    </message>
    <message>
        <source>does not fit</source>
        <translation>放不下</translation>
    </message>
    <message>
        <source>saves {percent:.1f} %</source>
        <translation>节省 {percent:.1f} %</translation>
    </message>
    <message>
        <source>{size} more than f16</source>
        <translation>比 f16 多 {size}</translation>
    </message>
    <message>
        <source>KV cache &lt;b&gt;{kv}&lt;/b&gt; ({saving}) · total {total}: {verdict}</source>
        <translation>KV 缓存 &lt;b&gt;{kv}&lt;/b&gt;（{saving}）· 总计 {total}：{verdict}</translation>
    </message>
    <message>
        <source>KV cache &lt;b&gt;{kv}&lt;/b&gt; (K {k} + V {v}) for {tokens:,} tokens</source>
        <translation>{tokens:,} 个 token 的 KV 缓存：&lt;b&gt;{kv}&lt;/b&gt;（K {k} + V {v}）</translation>
    </message>
    <message>
        <source>KV cache &lt;b&gt;{kv}&lt;/b&gt; (K {k} + V {v}) for {tokens:,} tokens ({cells:,} cells allocated)</source>
        <translation>KV 缓存 &lt;b&gt;{kv}&lt;/b&gt;（K {k} + V {v}），{tokens:,} 个 token（分配 {cells:,} 个单元）</translation>
    </message>
    <message>
        <source>f16/f16 would take {f16}: saves &lt;b&gt;{size} ({percent:.1f} %)&lt;/b&gt;</source>
        <translation>f16/f16 需要 {f16}：节省 &lt;b&gt;{size}（{percent:.1f} %）&lt;/b&gt;</translation>
    </message>
    <message>
        <source>f16/f16 would take {f16}: &lt;b&gt;{size} more&lt;/b&gt; than f16</source>
        <translation>f16/f16 需要 {f16}：比 f16 &lt;b&gt;多 {size}&lt;/b&gt;</translation>
    </message>
    <message>
        <source>Total with weights {weights} and compute ≈{compute}: &lt;b&gt;{total}&lt;/b&gt;, {available} available: &lt;span style=&apos;color:{color}&apos;&gt;fits&lt;/span&gt;</source>
        <translation>总计（含权重 {weights} 和计算 ≈{compute}）：&lt;b&gt;{total}&lt;/b&gt;，可用 {available}：&lt;span style=&apos;color:{color}&apos;&gt;内存足够&lt;/span&gt;</translation>
    </message>
    <message>
        <source>Total with weights {weights} and compute ≈{compute}: &lt;b&gt;{total}&lt;/b&gt;, {available} available: &lt;span style=&apos;color:{color}&apos;&gt;&lt;b&gt;does not fit&lt;/b&gt;&lt;/span&gt;</source>
        <translation>总计（含权重 {weights} 和计算 ≈{compute}）：&lt;b&gt;{total}&lt;/b&gt;，可用 {available}：&lt;span style=&apos;color:{color}&apos;&gt;&lt;b&gt;内存不足&lt;/b&gt;&lt;/span&gt;</translation>
    </message>
    <message>
        <source>On {name}</source>
        <translation>在 {name} 上</translation>
    </message>
    <message>
        <source>In RAM</source>
        <translation>在内存中</translation>
    </message>
    <message>
        <source>fits</source>
        <translation>放得下</translation>
    </message>
    <message>
        <source>&lt;b&gt;does not fit&lt;/b&gt;</source>
        <translation>&lt;b&gt;放不下&lt;/b&gt;</translation>
    </message>
    <message>
        <source>{place}: &lt;b&gt;{total}&lt;/b&gt; of {free} free: &lt;span style=&apos;color:{color}&apos;&gt;{verdict}&lt;/span&gt;</source>
        <translation>{place}：&lt;b&gt;{total}&lt;/b&gt;，空闲 {free}：&lt;span style=&apos;color:{color}&apos;&gt;{verdict}&lt;/span&gt;</translation>
    </message>
    <message>
        <source>KV {kv:,} bytes (K {k:,}, V {v:,})</source>
        <translation>KV {kv:,} 字节（K {k:,}，V {v:,}）</translation>
    </message>
</context>
<context>
    <name>PlannerChart</name>
    <message>
        <source>context length (tokens)</source>
        <translation>上下文长度（token）</translation>
    </message>
    <message>
        <source>available now: {size:.1f} GiB</source>
        <translation>当前可用：{size:.1f} GiB</translation>
    </message>
    <message>
        <source>available now: {size:.1f} GiB, above the chart</source>
        <translation>当前可用：{size:.1f} GiB，高于图表范围</translation>
    </message>
    <message>
        <source>trained context: {tokens:,}</source>
        <translation>训练上下文：{tokens:,}</translation>
    </message>
    <message>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <source>{tokens} (all)</source>
        <translation>{tokens}（全部）</translation>
    </message>
</context>
<context>
    <name>PriceDetails</name>
    <message>
        <source>Before loading</source>
        <translation>加载前</translation>
    </message>
    <message>
        <source>Loaded</source>
        <translation>已加载</translation>
    </message>
    <message>
        <source>If applied</source>
        <translation>应用后</translation>
    </message>
</context>
<context>
    <name>PromptBuilder</name>
    <message>
        <source>its chat template cannot be read ({error})</source>
        <translation>它的聊天模板无法读取（{error}）</translation>
    </message>
    <message>
        <source>{model} cannot format a conversation: {problem}. Use plain completion, or a copy of the model with a working template.</source>
        <translation>{model} 无法格式化对话：{problem}。请使用纯文本补全，或使用带有可用模板的模型副本。</translation>
    </message>
    <message>
        <source>{model} carries no chat template, so there is no faithful way to format a conversation for it (it is probably a base model). Use plain completion, or load an instruction-tuned (-it / -instruct) version of the model.</source>
        <translation>{model} 不带聊天模板，因此无法按它训练时的格式忠实地排列对话（它很可能是基础模型）。请使用纯文本续写，或加载该模型的指令微调版本（-it / -instruct）。</translation>
    </message>
    <message>
        <source>The model&apos;s chat template rejected this conversation: {error}</source>
        <translation>模型的聊天模板不接受此对话：{error}</translation>
    </message>
    <message>
        <source>The model&apos;s chat template turned this conversation into an empty prompt, so there is nothing for the model to answer. Use plain completion, or a copy of the model with a working template.</source>
        <translation>模型的聊天模板把这段对话变成了空提示词，模型没有可回答的内容。请使用纯文本补全，或使用带有可用模板的模型副本。</translation>
    </message>
</context>
<context>
    <name>RecordFields</name>
    <message>
        <source>{name} must be text, not {value}</source>
        <translation>{name} 必须是文本，而不是 {value}</translation>
    </message>
    <message>
        <source>{name} is {length:,} characters long; at most {limit:,} are allowed</source>
        <translation>{name} 长 {length:,} 个字符；最多允许 {limit:,} 个</translation>
    </message>
    <message>
        <source>{name} is not valid Unicode text (a lone surrogate at character {index:,})</source>
        <translation>{name} 不是有效的 Unicode 文本（第 {index:,} 个字符处有孤立的代理项）</translation>
    </message>
    <message>
        <source>{name} must be a whole number from 0 to {high}, not {value}</source>
        <translation>{name} 必须是 0 到 {high} 之间的整数，而不是 {value}</translation>
    </message>
    <message>
        <source>{name} must be a finite number of 0 or more, not {value}</source>
        <translation>{name} 必须是大于等于 0 的有限数，而不是 {value}</translation>
    </message>
    <message>
        <source>{name} must be one of {choices}, not {value}</source>
        <translation>{name} 必须是 {choices} 之一，而不是 {value}</translation>
    </message>
    <message>
        <source>it must be an object, not {value}</source>
        <translation>它必须是对象，而不是 {value}</translation>
    </message>
</context>
<context>
    <name>RemoteHost</name>
    <message>
        <source>llama.cpp server</source>
        <translation>llama.cpp 服务器</translation>
    </message>
    <message>
        <source>OpenAI-compatible server</source>
        <translation>OpenAI 兼容服务器</translation>
    </message>
    <message>
        <source>llama-server&apos;s command line: -c (context), -ctk / -ctv (K/V types), -fa</source>
        <translation>llama-server 的命令行参数：-c（上下文）、-ctk / -ctv（K/V 类型）、-fa</translation>
    </message>
    <message>
        <source>Ollama&apos;s environment: OLLAMA_KV_CACHE_TYPE, OLLAMA_FLASH_ATTENTION, and num_ctx</source>
        <translation>Ollama 的环境变量 OLLAMA_KV_CACHE_TYPE、OLLAMA_FLASH_ATTENTION 以及 num_ctx 参数</translation>
    </message>
    <message>
        <source>the model&apos;s load settings in LM Studio</source>
        <translation>LM Studio 中该模型的加载设置</translation>
    </message>
    <message>
        <source>the server&apos;s own start-up options (for llama-cpp-python: --n_ctx, --type_k, --type_v, --flash_attn)</source>
        <translation>服务器自身的启动选项（llama-cpp-python 为 --n_ctx、--type_k、--type_v、--flash_attn）</translation>
    </message>
    <message>
        <source>{url} is not a server address: it must start with http:// or https:// and name a host.</source>
        <translation>{url} 不是服务器地址：它必须以 http:// 或 https:// 开头，并写明主机。</translation>
    </message>
    <message>
        <source>{url} redirected {path} to {target}, another server. Requests (and the API key) go only to the address you typed: to use that server, connect to it by its own address.</source>
        <translation>{url} 把 {path} 重定向到了另一台服务器 {target}。请求（以及 API 密钥）只会发送到你输入的地址：若要使用那台服务器，请直接用它自己的地址连接。</translation>
    </message>
    <message>
        <source>{url} redirected the request for {path} to {target} with code {code}, which would turn it into a GET without its content; it was not sent again. Connect to the address the server expects.</source>
        <translation>{url} 以代码 {code} 把对 {path} 的请求重定向到 {target}，这会把它变成不带内容的 GET 请求；未重新发送。请连接服务器期望的地址。</translation>
    </message>
    <message>
        <source>{url} redirected {path} more than {count} times.</source>
        <translation>{url} 对 {path} 的重定向超过了 {count} 次。</translation>
    </message>
    <message>
        <source>{url} is not a server address this app can use ({error}).</source>
        <translation>{url} 不是本应用可以使用的服务器地址（{error}）。</translation>
    </message>
    <message>
        <source>{url} did not answer {path} within {seconds:g} seconds. Is the server busy or stuck?</source>
        <translation>{url} 未在 {seconds:g} 秒内回答 {path}。服务器是否繁忙或卡住了？</translation>
    </message>
    <message>
        <source>{url} answered {code} {reason} to {path}: {detail}</source>
        <translation>{url} 对 {path} 的请求返回了 {code} {reason}：{detail}</translation>
    </message>
    <message>
        <source>{url} is sending too slowly: part of its answer was still incomplete after {seconds:g} seconds.</source>
        <translation>{url} 发送得太慢：{seconds:g} 秒后它的回答仍有一部分未完成。</translation>
    </message>
    <message>
        <source>{url} stopped sending: nothing arrived for {seconds:g} seconds. Is the server still running?</source>
        <translation>{url} 停止了发送：{seconds:g} 秒内没有收到任何内容。服务器是否仍在运行？</translation>
    </message>
    <message>
        <source>{url} sent a line longer than {mib:g} MiB; its answer was not read further.</source>
        <translation>{url} 发送了一行超过 {mib:g} MiB 的内容；其回答没有再继续读取。</translation>
    </message>
    <message>
        <source>{url} sent an answer larger than {mib:g} MiB; it was not read.</source>
        <translation>{url} 发送的回答大于 {mib:g} MiB；未读取。</translation>
    </message>
    <message>
        <source>{url} cannot be reached: {reason}. Is the server running?</source>
        <translation>无法连接到 {url}：{reason}。服务器是否正在运行？</translation>
    </message>
    <message>
        <source>The API key holds characters that cannot be sent (line breaks, tabs or letters beyond ASCII). Copy it again from the server&apos;s settings.</source>
        <translation>API 密钥包含无法发送的字符（换行、制表符或 ASCII 以外的字母）。请从服务器的设置中重新复制。</translation>
    </message>
    <message>
        <source>{url} answered {path} with something that is not JSON. Is this an OpenAI-compatible server?</source>
        <translation>{url} 对 {path} 的回答不是 JSON。这是 OpenAI 兼容服务器吗？</translation>
    </message>
    <message>
        <source>{url} answered /v1/models with something that is not a list of models. Is this an OpenAI-compatible server?</source>
        <translation>{url} 对 /v1/models 的回答不是模型列表。这是 OpenAI 兼容服务器吗？</translation>
    </message>
    <message>
        <source>{url} lists no models at /v1/models.</source>
        <translation>{url} 在 /v1/models 中没有列出任何模型。</translation>
    </message>
    <message>
        <source>context</source>
        <translation>上下文</translation>
    </message>
    <message>
        <source>{count:,} tokens per slot</source>
        <translation>每个槽位 {count:,} 个 token</translation>
    </message>
    <message>
        <source>slots</source>
        <translation>槽位数</translation>
    </message>
    <message>
        <source>{count:,} tokens</source>
        <translation>{count:,} 个 token</translation>
    </message>
    <message>
        <source>memory in use</source>
        <translation>已用内存</translation>
    </message>
    <message>
        <source>{mib:,.0f} MiB (weights and cache)</source>
        <translation>{mib:,.0f} MiB（权重和缓存）</translation>
    </message>
    <message>
        <source>trained context</source>
        <translation>训练上下文</translation>
    </message>
    <message>
        <source>weights</source>
        <translation>权重</translation>
    </message>
    <message>
        <source>The answer from {url} could not be read ({error}). The server may not be an OpenAI-compatible one.</source>
        <translation>无法读取 {url} 的回答（{error}）。该服务器可能不是 OpenAI 兼容服务器。</translation>
    </message>
    <message>
        <source>Not connected to a server.</source>
        <translation>未连接到服务器。</translation>
    </message>
    <message>
        <source>{url} reported an error: {message}</source>
        <translation>{url} 报告了错误：{message}</translation>
    </message>
    <message>
        <source>{url} answered in a form this app cannot read: {count} of its events held no reply text where an OpenAI-compatible server puts it.</source>
        <translation>{url} 的回答格式本应用无法读取：它有 {count} 个事件在 OpenAI 兼容服务器放置回复文本的位置没有任何回复文本。</translation>
    </message>
    <message>
        <source>The connection to {url} broke off: {error}</source>
        <translation>与 {url} 的连接中断：{error}</translation>
    </message>
</context>
<context>
    <name>RemoteMode</name>
    <message>
        <source>Connected to {kind} at {url} · model {model}</source>
        <translation>已连接到 {url} 上的 {kind} · 模型 {model}</translation>
    </message>
</context>
<context>
    <name>RemotePanel</name>
    <message>
        <source>Chatting through a server</source>
        <translation>正在通过服务器对话</translation>
    </message>
    <message>
        <source>The server decides its cache; disconnect to set it here.</source>
        <translation>缓存由服务器决定；断开连接后才能在这里设置。</translation>
    </message>
    <message>
        <source>Server</source>
        <translation>服务器</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Disconnect and use a model on this computer</source>
        <translation>断开连接，改用本机模型</translation>
    </message>
    <message>
        <source>What the server reports about its context and cache:</source>
        <translation>服务器报告的上下文与缓存信息：</translation>
    </message>
    <message>
        <source>The server does not report its context length or cache types.</source>
        <translation>该服务器不报告其上下文长度和缓存类型。</translation>
    </message>
    <message>
        <source>The KV cache lives on the server: its K and V types, context length and flash attention were set when the server was started, in {where}. They cannot be changed from here, and this computer&apos;s memory gauge does not apply.</source>
        <translation>KV 缓存位于服务器上：它的 K 和 V 类型、上下文长度和 Flash Attention 都是在服务器启动时设定的，位置在{where}。这些设置无法在这里更改，本机的内存仪表也不适用。</translation>
    </message>
</context>
<context>
    <name>Sampling</name>
    <message>
        <source>{name} must be a number, not {value}</source>
        <translation>{name} 必须是数字，而不是 {value}</translation>
    </message>
    <message>
        <source>{name} must be a whole number, not {value}</source>
        <translation>{name} 必须是整数，而不是 {value}</translation>
    </message>
    <message>
        <source>{name} must be a finite number, not {value}</source>
        <translation>{name} 必须是有限数，而不是 {value}</translation>
    </message>
    <message>
        <source>{name} must be between {low} and {high}, not {value}</source>
        <translation>{name} 必须在 {low} 到 {high} 之间，而不是 {value}</translation>
    </message>
    <message>
        <source>The sampling settings cannot be used: {problem}.</source>
        <translation>这些采样设置无法使用：{problem}。</translation>
    </message>
</context>
<context>
    <name>SelfTest</name>
    <message>
        <source>The devices hold {k} K and {v} V bytes, but the cache has {total_k} K and {total_v} V bytes.</source>
        <translation>各设备共持有 {k} 字节 K 和 {v} 字节 V，但缓存有 {total_k} 字节 K 和 {total_v} 字节 V。</translation>
    </message>
    <message>
        <source>The KV bytes on each device differ from the estimate: {measured} against {estimated}.</source>
        <translation>各设备上的 KV 字节数与估算不符：实际 {measured}，估算 {estimated}。</translation>
    </message>
</context>
<context>
    <name>Settings</name>
    <message>
        <source>&apos;{name}&apos; should be {type}, not {value}</source>
        <translation>“{name}”应为 {type} 类型，而不是 {value}</translation>
    </message>
    <message>
        <source>the top level is not an object</source>
        <translation>顶层不是 JSON 对象</translation>
    </message>
    <message>
        <source>&apos;{name}&apos; holds a NUL character</source>
        <translation>“{name}”包含 NUL 字符</translation>
    </message>
    <message>
        <source>&apos;{name}&apos; should be an object, not {value}</source>
        <translation>“{name}”应为对象，而不是 {value}</translation>
    </message>
    <message>
        <source>n_ctx is not between 1 and {max}</source>
        <translation>n_ctx 不在 1 到 {max} 之间</translation>
    </message>
    <message>
        <source>{name} is not one of {values}</source>
        <translation>{name} 不是 {values} 之一</translation>
    </message>
    <message>
        <source>flash_attn is not one of {values}</source>
        <translation>flash_attn 不是 {values} 之一</translation>
    </message>
    <message>
        <source>gpu_layers is not auto, all, none or a number of layers</source>
        <translation>gpu_layers 不是 auto、all、none 或一个层数</translation>
    </message>
    <message>
        <source>split_mode is not one of {values}</source>
        <translation>split_mode 不是 {values} 之一</translation>
    </message>
    <message>
        <source>main_gpu is not between 0 and {max}</source>
        <translation>main_gpu 不在 0 到 {max} 之间</translation>
    </message>
    <message>
        <source>{name} is not a number of MiB between 0 and {max:,}</source>
        <translation>{name} 不是 0 到 {max:,} 之间的 MiB 数</translation>
    </message>
    <message>
        <source>{name} is not a number of threads between 0 and {max}</source>
        <translation>{name} 不是 0 到 {max} 之间的线程数</translation>
    </message>
    <message>
        <source>&apos;{name}&apos; should be a list, not {value}</source>
        <translation>“{name}”应为列表，而不是 {value}</translation>
    </message>
    <message>
        <source>last_conversation is not a number</source>
        <translation>last_conversation 不是数字</translation>
    </message>
    <message>
        <source>last_conversation is not a conversation&apos;s number</source>
        <translation>last_conversation 不是对话编号</translation>
    </message>
    <message>
        <source>it is larger than {limit:,} bytes</source>
        <translation>它大于 {limit:,} 字节</translation>
    </message>
    <message>
        <source>{path} could not be read ({reason}); defaults are used.</source>
        <translation>无法读取 {path}（{reason}）；已改用默认设置。</translation>
    </message>
    <message>
        <source>it nests too deeply</source>
        <translation>它嵌套过深</translation>
    </message>
    <message>
        <source>The settings file was unreadable ({reason}); defaults are used and it was kept as {name}.</source>
        <translation>无法读取设置文件（{reason}）；已改用默认设置，原文件已保留为 {name}。</translation>
    </message>
    <message>
        <source>The settings file was unreadable ({reason}); defaults are used and it could not be moved aside.</source>
        <translation>无法读取设置文件（{reason}）；已改用默认设置，但该文件无法移到一旁。</translation>
    </message>
</context>
<context>
    <name>SettingsKeeper</name>
    <message>
        <source>Settings could not be saved to {path}: {reason}</source>
        <translation>无法将设置保存到 {path}：{reason}</translation>
    </message>
</context>
<context>
    <name>ShortcutsDialog</name>
    <message>
        <source>Keyboard shortcuts</source>
        <translation>键盘快捷键</translation>
    </message>
    <message>
        <source>Send the message</source>
        <translation>发送消息</translation>
    </message>
    <message>
        <source>Enter</source>
        <translation>Enter</translation>
    </message>
    <message>
        <source>New line in the message</source>
        <translation>在消息中换行</translation>
    </message>
    <message>
        <source>Shift+Enter</source>
        <translation>Shift+Enter</translation>
    </message>
    <message>
        <source>Action</source>
        <translation>操作</translation>
    </message>
    <message>
        <source>Keys</source>
        <translation>按键</translation>
    </message>
</context>
<context>
    <name>SideColumn</name>
    <message>
        <source>KV cache</source>
        <translation>KV 缓存</translation>
    </message>
    <message>
        <source>Conversation</source>
        <translation>对话</translation>
    </message>
</context>
<context>
    <name>ThreadsBox</name>
    <message>
        <source>CPU threads</source>
        <translation>CPU 线程</translation>
    </message>
    <message>
        <source>This computer has {physical} cores ({logical} logical CPUs). Auto uses the cores, not hyper-threads, and leaves one free where there are several: llama.cpp&apos;s threads wait for each other, so one that other work delays slows them all.</source>
        <translation>这台计算机有 {physical} 个核心（{logical} 个逻辑 CPU）。自动会使用物理核心而不是超线程，核心较多时留出一个空闲：llama.cpp 的线程彼此等待，其中一个被其他工作拖慢，所有线程都会变慢。</translation>
    </message>
    <message>
        <source>Generating a reply</source>
        <translation>生成回复</translation>
    </message>
    <message>
        <source>Reading a prompt</source>
        <translation>读取提示</translation>
    </message>
    <message>
        <source>Auto ({n})</source>
        <translation>自动（{n}）</translation>
    </message>
</context>
<context>
    <name>TradeoffChart</name>
    <message>
        <source>memory saved against f16/f16 (MiB)</source>
        <translation>相对 f16/f16 节省的内存（MiB）</translation>
    </message>
    <message>
        <source>quality lost: mean KL divergence</source>
        <translation>质量损失：平均 KL 散度</translation>
    </message>
    <message>
        <source>noise floor</source>
        <translation>噪声基线</translation>
    </message>
    <message>
        <source>budget</source>
        <translation>预算</translation>
    </message>
</context>
<context>
    <name>ViewMenu</name>
    <message>
        <source>&amp;Theme</source>
        <translation>主题(&amp;T)</translation>
    </message>
    <message>
        <source>Follow the &amp;system</source>
        <translation>跟随系统(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;Light</source>
        <translation>浅色(&amp;L)</translation>
    </message>
    <message>
        <source>&amp;Dark</source>
        <translation>深色(&amp;D)</translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation>语言(&amp;L)</translation>
    </message>
    <message>
        <source>Follow the system</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>The new language is used when KV Chat starts again. Restart now? Conversations and settings are saved first.</source>
        <translation>新语言将在 KV Chat 重新启动后生效。现在重新启动吗？对话和设置会先保存。</translation>
    </message>
    <message>
        <source>Restart now</source>
        <translation>立即重启</translation>
    </message>
    <message>
        <source>Later</source>
        <translation>稍后</translation>
    </message>
</context>
</TS>
