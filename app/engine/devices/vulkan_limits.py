"""The largest buffer a Vulkan device lets one shader address (`maxStorageBufferRange`).

llama.cpp's Vulkan backend cannot run an operation on a tensor larger than that, and a KV cache
layer is allocated before anything checks: a cache layer beyond the limit aborts the process
("pre-allocated tensor (cache_k_l0) in a buffer (Vulkan0) that cannot run the operation",
ggml-backend.cpp). ggml does not expose the limit, so it is read from the Vulkan loader here,
through ctypes: an instance with no layers or extensions, the physical devices' properties.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import sys

_VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO = 1
# VkPhysicalDeviceProperties: five uint32 (apiVersion .. deviceType), deviceName[256],
# pipelineCacheUUID[16], then VkPhysicalDeviceLimits -- aligned to 8, as it holds VkDeviceSize
# fields -- whose eighth uint32 is maxStorageBufferRange.
_NAME_OFFSET = 5 * 4
_LIMITS_OFFSET = -(-(_NAME_OFFSET + 256 + 16) // 8) * 8
_STORAGE_RANGE_OFFSET = _LIMITS_OFFSET + 7 * 4
_PROPERTIES_SIZE = 1024  # the struct is 824 bytes; room to spare


class _InstanceCreateInfo(ctypes.Structure):
    _fields_ = [
        ("sType", ctypes.c_int),
        ("pNext", ctypes.c_void_p),
        ("flags", ctypes.c_uint32),
        ("pApplicationInfo", ctypes.c_void_p),
        ("enabledLayerCount", ctypes.c_uint32),
        ("ppEnabledLayerNames", ctypes.c_void_p),
        ("enabledExtensionCount", ctypes.c_uint32),
        ("ppEnabledExtensionNames", ctypes.c_void_p),
    ]


def _loader() -> ctypes.CDLL | None:
    names = {"win32": ["vulkan-1.dll"], "darwin": ["libvulkan.1.dylib", "libMoltenVK.dylib"]}.get(
        sys.platform, ["libvulkan.so.1", "libvulkan.so"])
    found = ctypes.util.find_library("vulkan")
    for name in ([found] if found else []) + names:
        try:
            return ctypes.CDLL(name)
        except OSError:
            continue
    return None


@functools.cache
def storage_buffer_limits() -> dict[str, int]:
    """Device name (as the driver and ggml describe it) -> maxStorageBufferRange in bytes; empty
    when there is no Vulkan loader or it fails."""
    vk = _loader()
    if vk is None:
        return {}
    p = ctypes.c_void_p
    vk.vkCreateInstance.argtypes = [ctypes.POINTER(_InstanceCreateInfo), p, ctypes.POINTER(p)]
    vk.vkCreateInstance.restype = ctypes.c_int
    vk.vkEnumeratePhysicalDevices.argtypes = [p, ctypes.POINTER(ctypes.c_uint32), ctypes.POINTER(p)]
    vk.vkEnumeratePhysicalDevices.restype = ctypes.c_int
    vk.vkGetPhysicalDeviceProperties.argtypes = [p, ctypes.c_void_p]
    vk.vkGetPhysicalDeviceProperties.restype = None
    vk.vkDestroyInstance.argtypes = [p, p]
    vk.vkDestroyInstance.restype = None
    info = _InstanceCreateInfo(sType=_VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO)
    instance = p()
    if vk.vkCreateInstance(ctypes.byref(info), None, ctypes.byref(instance)) != 0:
        return {}
    limits = {}
    try:
        count = ctypes.c_uint32(0)
        if vk.vkEnumeratePhysicalDevices(instance, ctypes.byref(count), None) != 0:
            return {}
        handles = (p * count.value)()
        if vk.vkEnumeratePhysicalDevices(instance, ctypes.byref(count), handles) not in (0, 5):  # 5: incomplete
            return {}
        for handle in handles[: count.value]:
            props = (ctypes.c_uint8 * _PROPERTIES_SIZE)()
            vk.vkGetPhysicalDeviceProperties(handle, props)
            raw = bytes(props)
            name = raw[_NAME_OFFSET:_NAME_OFFSET + 256].split(b"\0", 1)[0].decode("utf-8", "replace")
            limits[name] = int.from_bytes(raw[_STORAGE_RANGE_OFFSET:_STORAGE_RANGE_OFFSET + 4], "little")
    finally:
        vk.vkDestroyInstance(instance, None)
    return limits
